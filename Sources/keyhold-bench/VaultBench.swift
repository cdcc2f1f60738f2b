/// The vault benchmark.
enum VaultBench {
  static func run() throws {
    print("vault: no benchmark yet")
  }
}
