import Testing

@Test func CLITestTargetBuilds() {
  #expect(1 + 1 == 2)
}
