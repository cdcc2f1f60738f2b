import Testing

@Test func VaultTestTargetBuilds() {
  #expect(1 + 1 == 2)
}
