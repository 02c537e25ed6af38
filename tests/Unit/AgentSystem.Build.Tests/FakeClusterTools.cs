using System.Diagnostics;

namespace AgentSystem.Build.Tests;

/// <summary>
/// Recording fakes of kind, minikube, docker and kubectl in a folder to put first on PATH: each appends its command line to
/// a record file and answers as the real tool does. A created cluster's kubeconfig names the stub API server for
/// its own context and, as the current context, an "other" cluster that the deploy must never touch.
/// </summary>
internal sealed class FakeClusterTools : IDisposable
{
    public string Folder { get; } = Directory.CreateTempSubdirectory("fake-tools-").FullName;
    private string RecordFile => Path.Combine(Folder, "record.txt");

    /// <summary>The tool writes a kubeconfig without the context of the cluster it created.</summary>
    public bool OmitOwnContext { get; init; }

    /// <summary>"kind create cluster" fails half way.</summary>
    public bool CreateFails { get; init; }

    public bool DockerAnswers { get; init; } = true;

    /// <summary>
    /// The container publishing each host port ("8080/tcp") on all addresses, to its own port 80, in docker ps's Ports
    /// column: a filter on the container's port would not find it.
    /// </summary>
    public Dictionary<string, string> Publishing { get; init; } = [];

    /// <summary>The clusters "kind get clusters" and "minikube profile list" name.</summary>
    public string[] Existing { get; init; } = [];

    public FakeClusterTools(string? server = null, string? otherServer = null, params string[] tools)
    {
        Server = server ?? "http://127.0.0.1:9";
        OtherServer = otherServer ?? "http://127.0.0.1:9";
        Tools = tools.Length > 0 ? tools : ["kind", "minikube", "docker", "kubectl"];
    }

    private string Server { get; }
    private string OtherServer { get; }
    private string[] Tools { get; }

    /// <summary>Writes the scripts (after the init properties are set).</summary>
    public FakeClusterTools Install()
    {
        foreach (var tool in Tools)
        {
            WriteExecutable(Path.Combine(Folder, tool), Script(tool));
        }
        return this;
    }

    /// <summary>
    /// Writes the script from a child process, never from this one. A file this process had open for writing can be
    /// held by another test thread's forked child until that child execs, and executing the script meanwhile fails
    /// with "Text file busy" (ETXTBSY); tests here run in parallel and start processes all the time.
    /// </summary>
    internal static void WriteExecutable(string path, string text)
    {
        using var writer = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "cat > \"$1\" && chmod 700 \"$1\"", "sh", path])
        {
            RedirectStandardInput = true,
        })!;
        writer.StandardInput.Write(text);
        writer.StandardInput.Close();
        writer.WaitForExit();
        if (writer.ExitCode != 0)
        {
            throw new IOException($"Could not write the fake tool {path} (sh exited {writer.ExitCode}).");
        }
    }

    /// <summary>Each command line a fake ran, in order.</summary>
    public List<string> Recorded => File.Exists(RecordFile) ? File.ReadAllLines(RecordFile).ToList() : [];

    private string Script(string tool) => tool switch
    {
        "kind" => $$"""
            #!/bin/sh
            printf '%s\n' "kind $*" >> '{{RecordFile}}'
            {{KubeconfigFunction}}
            command=$1
            while [ $# -gt 0 ]; do case "$1" in --name) name=$2;; --kubeconfig) kubeconfig=$2;; esac; shift; done
            case "$command" in
              version) echo "kind v0.27.0 go1.23.4 linux/amd64" ;;
              create) write_kubeconfig "kind-$name"; {{(CreateFails ? "echo 'ERROR: failed to create cluster: node(s) never became ready' >&2; exit 1" : "")}} ;;
              get) {{string.Concat(Existing.Select(e => $"echo {e}; "))}} ;;
            esac
            """,
        "minikube" => $$"""
            #!/bin/sh
            printf '%s\n' "minikube $*" >> '{{RecordFile}}'
            {{KubeconfigFunction}}
            command=$1
            kubeconfig=$KUBECONFIG
            while [ $# -gt 0 ]; do case "$1" in --profile) name=$2;; esac; shift; done
            case "$command" in
              version) echo "v1.35.0" ;;
              start) write_kubeconfig "$name" ;;
              profile) echo '{"invalid":[],"valid":[{{string.Join(",", Existing.Select(e => $"{{\"Name\":\"{e}\"}}"))}}]}' ;;
            esac
            """,
        "docker" => DockerAnswers
            ? $"#!/bin/sh\ncase \"$1 $3\" in\n  'ps {{{{.Names}}}}'*) {string.Concat(Publishing.Select(p => $"printf '%s\\t%s\\n' '{p.Value}' '0.0.0.0:{p.Key.Split('/')[0]}->80/{p.Key.Split('/')[1]}'; "))}: ;;\n  ps*) echo \"unexpected docker $*\" >&2; exit 1 ;;\n  *) echo 24.0.7 ;;\nesac\n"
            : "#!/bin/sh\necho 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' >&2\nexit 1\n",
        // Only found by the preflight: no test here renders manifests through it.
        "kubectl" => $$"""
            #!/bin/sh
            printf '%s\n' "kubectl $*" >> '{{RecordFile}}'
            echo "Client Version: v1.31.0"
            """,
        _ => throw new ArgumentOutOfRangeException(nameof(tool), tool, null),
    };

    /// <summary>write_kubeconfig CONTEXT: a shell function writing the created cluster's kubeconfig to $kubeconfig.</summary>
    private string KubeconfigFunction => $$"""
        write_kubeconfig() {
        cat > "$kubeconfig" <<EOF
        apiVersion: v1
        kind: Config
        current-context: other
        clusters:
          - name: other
            cluster: { server: "{{OtherServer}}" }
          - name: created
            cluster: { server: "{{Server}}" }
        contexts:
          - name: other
            context: { cluster: other, user: user }
        {{(OmitOwnContext ? "" : "  - name: $1\n    context: { cluster: created, user: user }")}}
        users:
          - name: user
            user: { token: fake }
        EOF
        }
        """;

    public void Dispose()
    {
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
