import Testing

@Test func SSHWireTestTargetBuilds() {
  #expect(1 + 1 == 2)
}
