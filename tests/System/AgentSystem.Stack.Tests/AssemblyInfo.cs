// One running system is shared by every test, and some tests kill parts of it: they run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
