// One system is started for the whole assembly; its tests share it and must not run at the same time as each other.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
