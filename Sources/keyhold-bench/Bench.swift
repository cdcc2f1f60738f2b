/// Benchmarks for keyhold; see `make bench`.
@main
struct Bench {
  static func main() {
    print("no benchmarks yet")
  }
}
