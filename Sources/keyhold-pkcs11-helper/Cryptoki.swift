import CPKCS11
import KeyholdCrypto
import SSHWire

/// Thin, checked calls into a provider's function list: every CK_RV other than CKR_OK becomes a `HelperFailure`.
struct Cryptoki {
  let functions: UnsafeMutablePointer<CK_FUNCTION_LIST>

  private func missing(_ name: String) -> HelperFailure {
    HelperFailure(code: HelperFailure.loadFailed, message: "the provider has no \(name)")
  }

  private func failed(_ name: String, _ rv: CK_RV, code: UInt32 = HelperFailure.loadFailed) -> HelperFailure {
    HelperFailure(code: code, message: "\(name) failed: \(rvName(rv))")
  }

  /// C_Initialize with no arguments: the helper calls the provider from one thread only.
  func initialize() throws(HelperFailure) {
    guard let call = functions.pointee.C_Initialize else { throw missing("C_Initialize") }
    let rv = call(nil)
    guard rv == CKR_OK || rv == CKR_CRYPTOKI_ALREADY_INITIALIZED else { throw failed("C_Initialize", rv) }
  }

  /// The slots that hold a token.
  func slotsWithTokens() throws(HelperFailure) -> [CK_SLOT_ID] {
    guard let call = functions.pointee.C_GetSlotList else { throw missing("C_GetSlotList") }
    var count: CK_ULONG = 0
    var rv = call(CK_BBOOL(CK_TRUE), nil, &count)
    guard rv == CKR_OK else { throw failed("C_GetSlotList", rv) }
    var slots = [CK_SLOT_ID](repeating: 0, count: Int(count))
    rv = slots.withUnsafeMutableBufferPointer { call(CK_BBOOL(CK_TRUE), $0.baseAddress, &count) }
    guard rv == CKR_OK else { throw failed("C_GetSlotList", rv) }
    return Array(slots.prefix(Int(count)))
  }

  /// The token's information (its flags say whether it is initialised and wants a login).
  func tokenInfo(_ slot: CK_SLOT_ID) throws(HelperFailure) -> CK_TOKEN_INFO {
    guard let call = functions.pointee.C_GetTokenInfo else { throw missing("C_GetTokenInfo") }
    var info = CK_TOKEN_INFO()
    let rv = call(slot, &info)
    guard rv == CKR_OK else { throw failed("C_GetTokenInfo", rv) }
    return info
  }

  /// A read-only session on the slot's token.
  func openSession(_ slot: CK_SLOT_ID) throws(HelperFailure) -> CK_SESSION_HANDLE {
    guard let call = functions.pointee.C_OpenSession else { throw missing("C_OpenSession") }
    var session: CK_SESSION_HANDLE = 0
    let rv = call(slot, CKF_SERIAL_SESSION, nil, nil, &session)
    guard rv == CKR_OK else { throw failed("C_OpenSession", rv) }
    return session
  }

  /// C_Login as the user. No PIN logs in through a protected path (a PIN pad) when the token has one, and otherwise
  /// does not log in: the keys that need a login then stay out of sight, as with ssh-add -s and no PIN.
  ///
  /// The PIN is handed to the provider straight from its guarded allocation, so this call makes no copy of it.
  func login(_ session: CK_SESSION_HANDLE, pin: SecureBytes?, protectedPath: Bool, user: CK_USER_TYPE = CKU_USER)
    throws(HelperFailure)
  {
    guard let call = functions.pointee.C_Login else { throw missing("C_Login") }
    if pin == nil && !protectedPath { return }
    let rv: CK_RV
    if let pin {
      // C_Login takes a non-const pointer but only reads the PIN (PKCS #11 2.40 §5.6).
      rv = pin.withUnsafeBytes { raw in
        let base = raw.baseAddress.map { UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: CK_UTF8CHAR.self)) }
        return call(session, user, base, CK_ULONG(raw.count))
      }
    } else {
      rv = call(session, user, nil, 0)
    }
    switch rv {
    case CKR_OK, CKR_USER_ALREADY_LOGGED_IN: return
    case CKR_PIN_INCORRECT, CKR_PIN_INVALID, CKR_PIN_LEN_RANGE:
      throw HelperFailure(code: HelperFailure.pinIncorrect, message: "the pin is incorrect")
    case CKR_PIN_LOCKED, CKR_PIN_EXPIRED:
      throw HelperFailure(code: HelperFailure.pinLocked, message: "the pin is locked or expired")
    default:
      throw failed("C_Login", rv)
    }
  }

  /// Every object matching `template` (class and attribute values).
  func find(_ session: CK_SESSION_HANDLE, _ template: [(CK_ATTRIBUTE_TYPE, [UInt8])]) throws(HelperFailure)
    -> [CK_OBJECT_HANDLE]
  {
    guard let initCall = functions.pointee.C_FindObjectsInit, let findCall = functions.pointee.C_FindObjects,
      let finalCall = functions.pointee.C_FindObjectsFinal
    else { throw missing("C_FindObjects") }
    // The attribute values must stay alive while the provider reads them: one buffer holds them all.
    let values = template.flatMap(\.1)
    var rv: CK_RV = CKR_OK
    values.withUnsafeBytes { raw in
      var offset = 0
      var attributes: [CK_ATTRIBUTE] = template.map { item in
        defer { offset += item.1.count }
        return CK_ATTRIBUTE(
          type: item.0, pValue: UnsafeMutableRawPointer(mutating: raw.baseAddress.map { $0 + offset }),
          ulValueLen: CK_ULONG(item.1.count))
      }
      rv = attributes.withUnsafeMutableBufferPointer { initCall(session, $0.baseAddress, CK_ULONG($0.count)) }
    }
    guard rv == CKR_OK else { throw failed("C_FindObjectsInit", rv) }
    defer { _ = finalCall(session) }
    var found: [CK_OBJECT_HANDLE] = []
    var batch = [CK_OBJECT_HANDLE](repeating: 0, count: 64)
    while true {
      var count: CK_ULONG = 0
      rv = batch.withUnsafeMutableBufferPointer { findCall(session, $0.baseAddress, CK_ULONG($0.count), &count) }
      guard rv == CKR_OK else { throw failed("C_FindObjects", rv) }
      if count == 0 { break }
      found += batch.prefix(Int(count))
      // A provider that keeps answering is cut off rather than followed forever.
      if found.count > 4096 { break }
    }
    return found
  }

  /// One attribute's value, or nil when the object has no such attribute or will not reveal it.
  func attribute(_ session: CK_SESSION_HANDLE, _ object: CK_OBJECT_HANDLE, _ type: CK_ATTRIBUTE_TYPE) -> [UInt8]? {
    guard let call = functions.pointee.C_GetAttributeValue else { return nil }
    var query = CK_ATTRIBUTE(type: type, pValue: nil, ulValueLen: 0)
    guard call(session, object, &query, 1) == CKR_OK, query.ulValueLen != CK_ULONG.max,
      query.ulValueLen <= 64 * 1024
    else { return nil }
    var value = [UInt8](repeating: 0, count: Int(query.ulValueLen))
    let rv = value.withUnsafeMutableBytes { raw -> CK_RV in
      var attribute = CK_ATTRIBUTE(type: type, pValue: raw.baseAddress, ulValueLen: CK_ULONG(raw.count))
      let rv = call(session, object, &attribute, 1)
      query.ulValueLen = attribute.ulValueLen
      return rv
    }
    guard rv == CKR_OK, query.ulValueLen <= value.count else { return nil }
    return Array(value.prefix(Int(query.ulValueLen)))
  }

  /// The RSA and ECDSA private keys on the session's token that may sign, each with its public half: RSA's modulus
  /// and exponent from the private object (else its public object), ECDSA's curve from either and its point from the
  /// public object with the same CKA_ID (a private EC object carries no point). Keys of other types or curves, and
  /// keys whose public half cannot be found, are left out.
  func signingKeys(_ session: CK_SESSION_HANDLE) throws(HelperFailure) -> [TokenKey] {
    let privateKeys = try find(session, [(CKA_CLASS, ulongBytes(CKO_PRIVATE_KEY)), (CKA_SIGN, [CK_BBOOL(CK_TRUE)])])
    var keys: [TokenKey] = []
    for handle in privateKeys {
      guard let typeBytes = attribute(session, handle, CKA_KEY_TYPE), let keyType = ulong(typeBytes) else { continue }
      let id = attribute(session, handle, CKA_ID) ?? []
      let publicHandle = try? find(session, [(CKA_CLASS, ulongBytes(CKO_PUBLIC_KEY)), (CKA_ID, id)]).first
      let label =
        attribute(session, handle, CKA_LABEL).flatMap { String(validating: $0, as: UTF8.self) }
        ?? publicHandle.flatMap { attribute(session, $0, CKA_LABEL) }.flatMap { String(validating: $0, as: UTF8.self) }
        ?? ""
      let alwaysAuthenticate = attribute(session, handle, CKA_ALWAYS_AUTHENTICATE) == [CK_BBOOL(CK_TRUE)]
      func either(_ type: CK_ATTRIBUTE_TYPE) -> [UInt8]? {
        attribute(session, handle, type) ?? publicHandle.flatMap { attribute(session, $0, type) }
      }
      let blob: PublicKeyBlob
      let kind: TokenKey.Kind
      switch keyType {
      case CKK_RSA:
        guard let n = either(CKA_MODULUS).map(stripZeros), let e = either(CKA_PUBLIC_EXPONENT).map(stripZeros),
          !n.isEmpty, !e.isEmpty
        else { continue }
        blob = .rsa(e: e, n: n)
        kind = .rsa(modulusBytes: n.count)
      case CKK_EC:
        guard let params = either(CKA_EC_PARAMS), let curve = ECParameters.curve(params),
          let pub = publicHandle, let encoded = attribute(session, pub, CKA_EC_POINT),
          let point = ECParameters.point(encoded, curve: curve)
        else { continue }
        blob = .ecdsa(curve: curve, point: point)
        kind = .ecdsa(curve)
      default:
        continue
      }
      keys.append(
        TokenKey(
          blob: blob.encoded(), comment: label, kind: kind, session: session, handle: handle,
          alwaysAuthenticate: alwaysAuthenticate))
    }
    return keys
  }

  /// C_SignInit + C_Sign with `mechanism` over `input` (already hashed and, for RSA, wrapped in a DigestInfo).
  func sign(_ key: TokenKey, mechanism: CK_MECHANISM_TYPE, input: [UInt8], pin: SecureBytes?) throws(HelperFailure)
    -> [UInt8]
  {
    guard let initCall = functions.pointee.C_SignInit, let signCall = functions.pointee.C_Sign else {
      throw missing("C_Sign")
    }
    var mech = CK_MECHANISM(mechanism: mechanism, pParameter: nil, ulParameterLen: 0)
    var rv = initCall(key.session, &mech, key.handle)
    guard rv == CKR_OK else { throw failed("C_SignInit", rv, code: HelperFailure.signFailed) }
    if key.alwaysAuthenticate {
      try login(key.session, pin: pin, protectedPath: pin == nil, user: CKU_CONTEXT_SPECIFIC)
    }
    var data = input
    var length: CK_ULONG = 0
    // The length query leaves the operation active (PKCS #11 2.40 §5.2, "Conventions for functions returning output
    // in a variable-length buffer").
    rv = data.withUnsafeMutableBufferPointer { signCall(key.session, $0.baseAddress, CK_ULONG($0.count), nil, &length) }
    guard rv == CKR_OK, length > 0, length <= 2048 else {
      throw failed("C_Sign", rv, code: HelperFailure.signFailed)
    }
    var signature = [UInt8](repeating: 0, count: Int(length))
    rv = data.withUnsafeMutableBufferPointer { d in
      signature.withUnsafeMutableBufferPointer { s in
        signCall(key.session, d.baseAddress, CK_ULONG(d.count), s.baseAddress, &length)
      }
    }
    guard rv == CKR_OK, Int(length) <= signature.count else {
      throw failed("C_Sign", rv, code: HelperFailure.signFailed)
    }
    return Array(signature.prefix(Int(length)))
  }
}

/// A CK_ULONG's bytes in host order, as attribute templates carry it.
func ulongBytes(_ value: CK_ULONG) -> [UInt8] {
  withUnsafeBytes(of: value) { Array($0) }
}

/// A CK_ULONG from an attribute value in host order.
func ulong(_ bytes: [UInt8]) -> CK_ULONG? {
  guard bytes.count == MemoryLayout<CK_ULONG>.size else { return nil }
  return bytes.withUnsafeBytes { $0.loadUnaligned(as: CK_ULONG.self) }
}

/// A big-endian magnitude without its leading zero bytes.
func stripZeros(_ bytes: [UInt8]) -> [UInt8] {
  Array(bytes.drop(while: { $0 == 0 }))
}
