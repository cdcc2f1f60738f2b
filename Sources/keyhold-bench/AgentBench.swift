/// The agent benchmark.
enum AgentBench {
  static func run() throws {
    print("agent: no benchmark yet")
  }
}
