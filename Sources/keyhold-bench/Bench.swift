/// Benchmarks for keyhold (`make bench`): `keyhold-bench [keys|vault|memory|agent|cloud ...]`, all by default.
@main
struct Bench {
  static func main() throws {
    let args = CommandLine.arguments.dropFirst().filter { !$0.hasPrefix("--") }  // --quick etc. go to each bench
    let all = ["keys", "vault", "memory", "agent", "cloud"]
    let selected = args.isEmpty ? all : args
    for name in selected {
      switch name {
      case "vault": try VaultBench.run()
      case "agent": try AgentBench.run()
      case "cloud": try CloudBench.run()
      case "keys": try KeysBench.run()
      case "memory": try MemoryBench.run()
      default: print("unknown benchmark \(name); choose from \(all.joined(separator: ", "))")
      }
    }
  }
}
