using System.Buffers;
using System.Text;
using System.Xml;
using Microsoft.Win32.SafeHandles;

namespace AgentSystem.Build.Monorepo;

/// <summary>An item as written: <c>&lt;Compile Include="../linked/*.cs" Exclude="…" /&gt;</c> or <c>&lt;None Remove="x" /&gt;</c>.</summary>
/// <param name="Conditional">It, its group or an enclosing Choose has a Condition, or it sits in a Target.</param>
public sealed record MsBuildItem(string Type, bool IsRemove, string Value, string? Exclude, bool Conditional);

/// <summary>A PackageVersion or GlobalPackageReference entry of a central package file.</summary>
public sealed record PackageVersionEntry(string Kind, string Operation, string Name, string? Version, string? Condition)
{
    /// <summary>True when a static reading cannot tell what it resolves to.</summary>
    public bool Undecidable => Condition is not null || Name.Contains("$(", StringComparison.Ordinal) || Name.Contains('*', StringComparison.Ordinal)
        || (Version?.Contains("$(", StringComparison.Ordinal) ?? false);

    public override string ToString() =>
        $"{(Kind == "PackageVersion" ? "" : Kind + " ")}{Version ?? "(no version)"}{(Condition is null ? "" : $" when {Condition}")}";
}

/// <summary>
/// What affected detection needs from one MSBuild file (project, props, targets), read as XML in one forward pass and
/// never evaluated. Paths are kept as written: <see cref="MsBuildPath"/> resolves them where the context is known.
/// </summary>
public sealed record MsBuildFile
{
    /// <summary>Item types whose Include names something other than a file.</summary>
    private static readonly HashSet<string> NonFileItems = new(StringComparer.OrdinalIgnoreCase)
    {
        "PackageReference", "PackageVersion", "GlobalPackageReference", "PackageDownload", "ProjectReference", "FrameworkReference",
        "Using", "InternalsVisibleTo", "AssemblyAttribute", "ProjectCapability", "SupportedPlatform", "TrimmerRootAssembly", "Folder",
        "NuGetAuditSuppress", "Reference",
    };

    public required string Path { get; init; }
    /// <summary>The SDK named on Project, an Sdk element or an Import; null for a project in the old, non-SDK format.</summary>
    public string? Sdk { get; init; }
    public IReadOnlyList<string> Imports { get; init; } = [];
    public IReadOnlyList<string> ProjectReferences { get; init; } = [];
    /// <summary>Items that name files (every type but <see cref="NonFileItems"/>, plus a Reference's HintPath).</summary>
    public IReadOnlyList<MsBuildItem> Items { get; init; } = [];
    /// <summary>Packages referenced with their version from central package management (no Version or VersionOverride).</summary>
    public IReadOnlyList<string> CentralPackageReferences { get; init; } = [];
    public IReadOnlyList<PackageVersionEntry> PackageVersions { get; init; } = [];
    public bool IsTest { get; init; }
    /// <summary>Sets CentralPackageTransitivePinningEnabled to true.</summary>
    public bool PinsTransitively { get; init; }
    /// <summary>Everything but package entries and resolvable imports, normalized; only read for central package files.</summary>
    public string OtherContent { get; init; } = "";

    /// <summary>Reads the file; null when it does not exist (listed by git, but deleted or moved in the work tree).</summary>
    public static MsBuildFile? Read(string fullPath, string path, bool withOtherContent = false)
    {
        // A handle and one positional read: thousands of project files are read per run, and FileStream's
        // buffering and extra calls cost more than the XML parsing does.
        SafeFileHandle handle;
        try { handle = File.OpenHandle(fullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return null; }
        using (handle)
        {
            var length = RandomAccess.GetLength(handle);
            var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Max(length, 1));
            try
            {
                var read = 0;
                while (read < length && RandomAccess.Read(handle, buffer.AsSpan(read, (int)length - read), read) is var n and > 0)
                {
                    read += n;
                }

                using var stream = new MemoryStream(buffer, 0, read, writable: false);
                return Read(stream, path, withOtherContent);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    public static MsBuildFile Parse(string text, string path, bool withOtherContent = false)
    {
        using var reader = new StringReader(text);
        using var xml = XmlReader.Create(reader, Settings);
        return Read(xml, path, withOtherContent);
    }

    /// <summary>One per thread, so each reader reuses the element names already seen (NameTable is not thread-safe).</summary>
    [ThreadStatic] private static XmlReaderSettings? _settings;

    private static XmlReaderSettings Settings => _settings ??= new XmlReaderSettings
    {
        DtdProcessing = DtdProcessing.Ignore, IgnoreComments = true, IgnoreWhitespace = true, IgnoreProcessingInstructions = true,
        NameTable = new NameTable(),
    };

    private static MsBuildFile Read(Stream stream, string path, bool withOtherContent)
    {
        using var xml = XmlReader.Create(stream, Settings);
        return Read(xml, path, withOtherContent);
    }

    private static MsBuildFile Read(XmlReader reader, string path, bool withOtherContent)
    {
        var state = new ReadState(withOtherContent);
        try
        {
            while (reader.Read())
            {
                if (reader.NodeType == XmlNodeType.Element)
                {
                    state.Element(reader);
                }
                else if (reader.NodeType == XmlNodeType.EndElement)
                {
                    state.End();
                }
                else if (reader.NodeType is XmlNodeType.Text or XmlNodeType.CDATA)
                {
                    state.Text(reader);
                }
            }
        }
        catch (XmlException e)
        {
            throw new InvalidDataException($"{path} is not valid XML: {e.Message}", e);
        }
        return state.Build(path);
    }

    /// <summary>The forward pass: a stack of open elements, and the item or property being read.</summary>
    private sealed class ReadState(bool withOtherContent)
    {
        private readonly List<(string Name, string? Condition)> _open = [];
        private readonly List<string> _imports = [];
        private readonly List<string> _references = [];
        private readonly List<MsBuildItem> _items = [];
        private readonly List<string> _packages = [];
        private readonly List<PackageVersionEntry> _versions = [];
        private readonly StringBuilder? _other = withOtherContent ? new StringBuilder() : null;
        private string? _sdk;
        private bool _isTest, _pins, _optsOut, _hasSdkImport;
        private PendingItem? _item;
        private string? _property;
        private bool _propertyConditional;

        private sealed class PendingItem(string type, string operation, string? include, string? version, string? condition, int depth)
        {
            public string Type { get; } = type;
            public string Operation { get; } = operation;
            public string? Include { get; } = include;
            public string? Version { get; set; } = version;
            public string? Condition { get; } = condition;
            public int Depth { get; } = depth;
            public string? HintPath { get; set; }
            public bool HasVersionOverride { get; set; }
        }

        private bool InConditionOrTarget => _open.Any(o => o.Condition is not null || o.Name == "Target");
        private string? Parent => _open.Count == 0 ? null : _open[^1].Name;

        public void Element(XmlReader reader)
        {
            var name = reader.LocalName;
            var condition = reader.GetAttribute("Condition") is { Length: > 0 } c ? c : null;
            var parent = Parent;
            var depth = _open.Count;

            if (_item is not null && depth == _item.Depth + 1)
            {
                // Metadata written as a child element: <Version>1.0</Version>, <HintPath>…</HintPath>.
                _property = name;
            }
            else if (depth == 0 && name == "Project")
            {
                _sdk = reader.GetAttribute("Sdk");
            }
            else if (name == "Sdk" && parent == "Project")
            {
                _sdk ??= reader.GetAttribute("Name");
            }
            else if (name == "Import" && reader.GetAttribute("Project") is { } project)
            {
                if (reader.GetAttribute("Sdk") is { } sdk) { _sdk ??= sdk; _hasSdkImport = true; }
                else
                {
                    Imports(project, condition);
                }
            }
            else if (parent == "ItemGroup")
            {
                ItemElement(reader, name, condition, depth);
            }
            else if (parent == "PropertyGroup" && !reader.IsEmptyElement)
            {
                _property = name;
                _propertyConditional = condition is not null || InConditionOrTarget;
                Other($"<{name}{(condition is null ? "" : $" if {condition}")}>");
            }
            else if (name is not ("ItemGroup" or "PropertyGroup" or "ImportGroup" or "Choose" or "When" or "Otherwise"))
            {
                Other($"<{name} {Attributes(reader)}>");
            }
            else if (condition is not null)
            {
                Other($"<{name} if {condition}>");
            }

            if (!reader.IsEmptyElement)
            {
                _open.Add((name, condition ?? (name is "When" or "Otherwise" ? "a Choose branch" : null)));
            }
        }

        public void End()
        {
            if (_open.Count == 0)
            {
                return;
            }

            _open.RemoveAt(_open.Count - 1);
            if (_item is not null && _open.Count == _item.Depth)
            {
                FinishItem();
            }

            _property = null;
        }

        public void Text(XmlReader reader)
        {
            var value = reader.Value.Trim();
            if (_item is not null)
            {
                if (_property == "Version")
                {
                    _item.Version = value;
                }
                else if (_property == "VersionOverride")
                {
                    _item.HasVersionOverride = true;
                }
                else if (_property == "HintPath")
                {
                    _item.HintPath = value;
                }

                return;
            }
            if (_property is null)
            {
                return;
            }

            var isTrue = value.Equals("true", StringComparison.OrdinalIgnoreCase);
            switch (_property)
            {
                case "IsTestProject": _isTest |= isTrue; break;
                case "CentralPackageTransitivePinningEnabled": _pins |= isTrue; break;
                case "ManagePackageVersionsCentrally" when !_propertyConditional: _optsOut = value.Equals("false", StringComparison.OrdinalIgnoreCase); break;
            }
            Other(value);
        }

        private void Imports(string project, string? condition)
        {
            _imports.Add(project);
            // An import whose path cannot be read is part of what makes a central package file undecidable.
            if (project.Contains("$(", StringComparison.Ordinal) && !project.Contains("$(MSBuildThisFileDirectory)", StringComparison.OrdinalIgnoreCase)
                && !project.Contains("FileAbove(", StringComparison.OrdinalIgnoreCase))
            {
                Other($"<Import {project} if {condition}>");
            }
        }

        private void ItemElement(XmlReader reader, string type, string? condition, int depth)
        {
            var include = reader.GetAttribute("Include");
            var remove = reader.GetAttribute("Remove");
            var update = reader.GetAttribute("Update");
            var conditional = condition is not null || InConditionOrTarget;

            if (type is "PackageVersion" or "GlobalPackageReference")
            {
                var (operation, name) = include is not null ? ("Include", include) : update is not null ? ("Update", update) : ("Remove", remove ?? "");
                var conditions = _open.Select(o => o.Name == "Target" ? "in a Target" : o.Condition).Append(condition).OfType<string>().ToList();
                _item = new PendingItem(type, operation, name, reader.GetAttribute("Version"), conditions.Count == 0 ? null : string.Join(" and ", conditions), depth);
            }
            else if (type == "PackageReference")
            {
                _item = new PendingItem(type, "Include", include, reader.GetAttribute("Version"), null, depth)
                {
                    HasVersionOverride = reader.GetAttribute("VersionOverride") is not null,
                };
            }
            else if (type == "ProjectReference")
            {
                if (include is not null)
                {
                    _references.Add(include);
                }

                if (remove is not null || update is not null || condition is not null)
                {
                    Other($"<ProjectReference {Attributes(reader)}>");
                }

                return;
            }
            else if (type == "Reference")
            {
                _item = new PendingItem(type, "Include", include, null, null, depth) { HintPath = reader.GetAttribute("HintPath") };
            }
            else if (!NonFileItems.Contains(type))
            {
                if (include is not null)
                {
                    _items.Add(new MsBuildItem(type, false, include, reader.GetAttribute("Exclude"), conditional));
                }

                if (remove is not null)
                {
                    _items.Add(new MsBuildItem(type, true, remove, null, conditional));
                }

                Other($"<{type} {Attributes(reader)}>");
                return;
            }
            else
            {
                Other($"<{type} {Attributes(reader)}>");
                return;
            }
            if (reader.IsEmptyElement)
            {
                FinishItem();
            }
        }

        private void FinishItem()
        {
            var item = _item!;
            _item = null;
            switch (item.Type)
            {
                case "PackageVersion" or "GlobalPackageReference":
                    _versions.Add(new PackageVersionEntry(item.Type, item.Operation, item.Include ?? "", item.Version, item.Condition));
                    break;
                case "PackageReference" when item.Include is not null:
                    _isTest |= item.Include.Equals("Microsoft.NET.Test.Sdk", StringComparison.OrdinalIgnoreCase);
                    if (item.Version is null && !item.HasVersionOverride)
                    {
                        _packages.Add(item.Include);
                    }

                    break;
                case "Reference" when item.HintPath is not null:
                    _items.Add(new MsBuildItem("Reference", false, item.HintPath, null, InConditionOrTarget));
                    break;
            }
        }

        private void Other(string text) => _other?.Append(text).Append('\n');

        private static string Attributes(XmlReader reader)
        {
            if (!reader.HasAttributes)
            {
                return "";
            }

            var builder = new StringBuilder();
            for (var i = 0; i < reader.AttributeCount; i++)
            {
                reader.MoveToAttribute(i);
                builder.Append(reader.LocalName).Append("=\"").Append(reader.Value).Append("\" ");
            }
            reader.MoveToElement();
            return builder.ToString();
        }

        public MsBuildFile Build(string path) => new()
        {
            Path = path,
            Sdk = _sdk ?? (_hasSdkImport ? "" : null),
            Imports = _imports,
            ProjectReferences = _references,
            Items = _items,
            CentralPackageReferences = _optsOut ? [] : _packages,
            PackageVersions = _versions,
            IsTest = _isTest,
            PinsTransitively = _pins,
            OtherContent = _other?.ToString() ?? "",
        };
    }
}
