/// Benchmarks for keyhold (`make bench`): `keyhold-bench [vault|agent|cloud ...]`, all of them by default.
@main
struct Bench {
  static func main() throws {
    let args = CommandLine.arguments.dropFirst().filter { !$0.hasPrefix("--") }
    let all = ["vault", "agent", "cloud"]
    let selected = args.isEmpty ? all : args
    for name in selected {
      switch name {
      case "vault": try VaultBench.run()
      case "agent": try AgentBench.run()
      case "cloud": try CloudBench.run()
      default: print("unknown benchmark \(name); choose from \(all.joined(separator: ", "))")
      }
    }
  }
}
