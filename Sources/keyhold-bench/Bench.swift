#if canImport(Glibc)
  import Glibc
#endif

/// Benchmarks for keyhold (`make bench`): `keyhold-bench [keys|vault|memory|agent|cloud ...]`, all by default.
@main
struct Bench {
  static let all = ["keys", "vault", "memory", "agent", "siglog", "cloud", "idle", "scale"]

  static let usage = """
    usage: keyhold-bench [--quick] [--pause] [--no-log] [BENCHMARK ...]
           keyhold-bench pair --baseline=PATH [--no-log] [--quick]

    Runs keyhold's benchmarks (all of them when none is named): \(all.joined(separator: ", ")).
    `pair` measures this build's agent against another keyhold build's, side by side in alternating rounds.
      --quick   fewer rounds (agent benchmark)
      --pause   wait before exiting, to inspect the agent (agent benchmark)
      --no-log  run the agent without its signature log (agent and pair benchmarks)
      --baseline=PATH
                the other build's keyhold binary (pair benchmark)
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
    if let unknown = args.first(where: { !all.contains($0) && $0 != "pair" }) {
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
      case "pair": try PairBench.run()
      default: break
      }
    }
  }
}
