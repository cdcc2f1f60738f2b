import KeyholdCore
import Testing

@Test func theUseCaseLibraryLinks() {
  #expect(String(describing: KeyholdCore.self) == "KeyholdCore")
}
