namespace AgentSystem.Build.Monorepo;

/// <summary>
/// Project files as parsed by an earlier run, keyed on (path, size, last write time), so a run stats each project file
/// instead of opening, reading and parsing it. Kept in one binary file that any failure to read simply ignores. An
/// edit that keeps both size and time (a copy with <c>cp -p</c> or <c>tar x</c> of a same-sized file) is not seen:
/// delete <c>.nuke/temp/affected</c> after such a copy.
/// </summary>
internal sealed class ProjectFileCache
{
    /// <summary>
    /// A file written this recently may be written again within the clock's granularity, keeping size and time: git's
    /// "racy" case. Such files are parsed every run until they are older.
    /// </summary>
    private static readonly TimeSpan RacyWindow = TimeSpan.FromSeconds(2);

    /// <summary>The build program's own identity: a changed parser makes every entry stale.</summary>
    private static readonly Guid Format = typeof(MsBuildFile).Assembly.ManifestModule.ModuleVersionId;

    private readonly string _path;
    private readonly Dictionary<string, Entry> _entries;
    private readonly Dictionary<string, Entry> _seen = new(StringComparer.Ordinal);
    private bool _changed;

    private sealed record Entry(long Size, long Ticks, MsBuildFile File);

    private ProjectFileCache(string path, Dictionary<string, Entry> entries)
    {
        _path = path;
        _entries = entries;
    }

    /// <summary>The cache in <paramref name="folder"/>; empty when it is missing, unreadable or from another build.</summary>
    public static ProjectFileCache Open(string folder)
    {
        var path = Path.Combine(folder, "projects.bin");
        var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        try
        {
            using var reader = new BinaryReader(File.OpenRead(path));
            if (new Guid(reader.ReadBytes(16)) == Format)
            {
                for (var count = reader.ReadInt32(); count > 0; count--)
                {
                    var key = reader.ReadString();
                    entries[key] = new Entry(reader.ReadInt64(), reader.ReadInt64(), ReadFile(reader, key));
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or EndOfStreamException or FormatException or ArgumentException or OverflowException)
        {
            // Damaged (a count or length out of range included): parse everything again.
            entries.Clear();
        }

        return new ProjectFileCache(path, entries);
    }

    /// <summary>The project file as now on disk: from the cache when its size and time match, else parsed (and kept).
    /// Null when it does not exist. Safe to call from several threads for different paths.</summary>
    public MsBuildFile? Read(string fullPath, string path)
    {
        var info = new FileInfo(fullPath);
        if (!info.Exists)
        {
            return null;
        }

        var (size, ticks) = (info.Length, info.LastWriteTimeUtc.Ticks);
        if (_entries.TryGetValue(path, out var entry) && entry.Size == size && entry.Ticks == ticks)
        {
            lock (_seen)
            {
                _seen[path] = entry;
            }

            return entry.File;
        }

        var file = MsBuildFile.Read(fullPath, path);
        lock (_seen)
        {
            _changed = true;
            if (file is not null && DateTime.UtcNow - new DateTime(ticks, DateTimeKind.Utc) > RacyWindow)
            {
                _seen[path] = new Entry(size, ticks, file);
            }
        }
        return file;
    }

    /// <summary>Writes what this run read, when it differs from what was loaded; files no longer read are dropped.</summary>
    public void Save()
    {
        if (!_changed && _seen.Count == _entries.Count)
        {
            return;
        }

        var folder = Path.GetDirectoryName(_path)!;
        var temporary = $"{_path}.{Environment.ProcessId}.tmp";
        try
        {
            Directory.CreateDirectory(folder);
            // The folder may sit in a repository whose .gitignore does not cover it: keep it out of git's untracked files.
            var ignore = Path.Combine(folder, ".gitignore");
            if (!File.Exists(ignore))
            {
                File.WriteAllText(ignore, "*\n");
            }

            // Another run may read or write at the same time: write aside, then replace in one step.
            using (var writer = new BinaryWriter(File.Create(temporary)))
            {
                writer.Write(Format.ToByteArray());
                writer.Write(_seen.Count);
                foreach (var (key, entry) in _seen)
                {
                    writer.Write(key);
                    writer.Write(entry.Size);
                    writer.Write(entry.Ticks);
                    WriteFile(writer, entry.File);
                }
            }
            File.Move(temporary, _path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A cache that cannot be written only costs the next run its speed; a half-written copy is not kept.
            try
            {
                File.Delete(temporary);
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    private static void WriteFile(BinaryWriter writer, MsBuildFile file)
    {
        WriteOptional(writer, file.Sdk);
        WriteList(writer, file.Imports, writer.Write);
        WriteList(writer, file.ProjectReferences, writer.Write);
        WriteList(writer, file.Items, item =>
        {
            writer.Write(item.Type);
            writer.Write(item.IsRemove);
            writer.Write(item.Value);
            WriteOptional(writer, item.Exclude);
            writer.Write(item.Conditional);
        });
        WriteList(writer, file.CentralPackageReferences, writer.Write);
        WriteList(writer, file.PackageVersions, entry =>
        {
            writer.Write(entry.Kind);
            writer.Write(entry.Operation);
            writer.Write(entry.Name);
            WriteOptional(writer, entry.Version);
            WriteOptional(writer, entry.Condition);
        });
        writer.Write(file.IsTest);
        writer.Write(file.PinsTransitively);
    }

    private static MsBuildFile ReadFile(BinaryReader reader, string path) => new()
    {
        Path = path,
        Sdk = ReadOptional(reader),
        Imports = ReadList(reader, reader.ReadString),
        ProjectReferences = ReadList(reader, reader.ReadString),
        Items = ReadList(reader, () => new MsBuildItem(reader.ReadString(), reader.ReadBoolean(), reader.ReadString(), ReadOptional(reader), reader.ReadBoolean())),
        CentralPackageReferences = ReadList(reader, reader.ReadString),
        PackageVersions = ReadList(reader, () => new PackageVersionEntry(reader.ReadString(), reader.ReadString(), reader.ReadString(), ReadOptional(reader), ReadOptional(reader))),
        IsTest = reader.ReadBoolean(),
        PinsTransitively = reader.ReadBoolean(),
    };

    private static void WriteOptional(BinaryWriter writer, string? value)
    {
        writer.Write(value is not null);
        if (value is not null)
        {
            writer.Write(value);
        }
    }

    private static string? ReadOptional(BinaryReader reader) => reader.ReadBoolean() ? reader.ReadString() : null;

    private static void WriteList<T>(BinaryWriter writer, IReadOnlyList<T> list, Action<T> write)
    {
        writer.Write(list.Count);
        foreach (var item in list)
        {
            write(item);
        }
    }

    private static List<T> ReadList<T>(BinaryReader reader, Func<T> read)
    {
        var count = reader.ReadInt32();
        var list = new List<T>(count);
        for (var i = 0; i < count; i++)
        {
            list.Add(read());
        }

        return list;
    }
}
