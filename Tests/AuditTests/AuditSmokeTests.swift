import Testing

@Test func AuditTestTargetBuilds() {
  #expect(1 + 1 == 2)
}
