// libFuzzer entry point. Built with `make fuzz`; in a plain build it links to a no-op.
import SSHWire

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  guard let data else { return 0 }
  var reader = SSHReader(Array(UnsafeBufferPointer(start: data, count: size)))
  _ = try? reader.readString()
  return 0
}
