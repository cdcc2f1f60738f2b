import Testing

@Test func SSHKeysTestTargetBuilds() {
  #expect(1 + 1 == 2)
}
