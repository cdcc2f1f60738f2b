import Testing

@Test func AgentServerTestTargetBuilds() {
  #expect(1 + 1 == 2)
}
