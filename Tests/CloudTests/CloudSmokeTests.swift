import Testing

@Test func CloudTestTargetBuilds() {
  #expect(1 + 1 == 2)
}
