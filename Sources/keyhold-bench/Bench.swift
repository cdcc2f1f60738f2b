#if canImport(Glibc)
  import Glibc
#endif

/// Benchmarks for keyhold (`make bench`): `keyhold-bench [keys|vault|memory|agent|cloud ...]`, all by default.
@main
struct Bench {
  static let all = ["keys", "vault", "memory", "agent", "siglog", "cloud", "idle", "scale"]

  static let usage = """
    usage: keyhold-bench [--quick] [--pause] [--no-log] [BENCHMARK ...]

    Runs keyhold's benchmarks (all of them when none is named): \(all.joined(separator: ", ")).
      --quick   fewer rounds (agent benchmark)
      --pause   wait before exiting, to inspect the agent (agent benchmark)
      --no-log  run the agent without its signature log (agent benchmark)
      -h, --help
                show this help and exit

    """

  static func main() throws {
    let arguments = CommandLine.arguments.dropFirst()
    // Asking for help must never start a benchmark: some of them run for minutes and start servers.
    if arguments.contains("-h") || arguments.contains("--help") {
      print(usage, terminator: "")
      return
    }
    let args = arguments.filter { !$0.hasPrefix("--") }  // --quick etc. go to each bench
    if let unknown = args.first(where: { !all.contains($0) }) {
      let message = "keyhold-bench: error: unknown benchmark \(unknown); choose from \(all.joined(separator: ", "))\n"
      _ = message.withCString { write(2, $0, strlen($0)) }
      exit(2)
    }
    let selected = args.isEmpty ? all : Array(args)
    for name in selected {
      switch name {
      case "vault": try VaultBench.run()
      case "agent": try AgentBench.run()
      case "siglog": try SignatureLogBench.run()
      case "cloud": try CloudBench.run()
      case "keys": try KeysBench.run()
      case "memory": try MemoryBench.run()
      case "idle": try IdleBench.run()
      case "scale": try ScaleBench.run()
      default: break
      }
    }
  }
}
