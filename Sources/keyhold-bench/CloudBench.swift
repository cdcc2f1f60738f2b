/// The cloud benchmark.
enum CloudBench {
  static func run() throws {
    print("cloud: no benchmark yet")
  }
}
