import KeyholdCrypto
import KeyholdSystem

#if canImport(Glibc)
  import Glibc
#endif

/// The two host files beside a vault (keyhold-hosts(5)): `VAULT.hosts`, what the agent learned from logins, and
/// `VAULT.instances`, what the last sync saw in the cloud. Neither holds a secret; both are mode 0600 and replaced
/// whole with the vault's durability (KeyholdSystem's `AtomicFile`). Writers of the learned file (the agent, and
/// `keyhold hosts forget`) take an exclusive lock on `VAULT.hosts.lock` around read-merge-write, so neither loses
/// the other's change.
public struct HostBook: Sendable {
  /// The vault file the books belong to.
  public var vaultPath: String

  /// Creates the books of a vault.
  public init(vaultPath: String) { self.vaultPath = vaultPath }

  /// The learned hosts file.
  public var learnedPath: String { vaultPath + ".hosts" }
  /// The cloud instances file.
  public var instancesPath: String { vaultPath + ".instances" }
  var lockPath: String { vaultPath + ".hosts.lock" }

  static let learnedFormat = "keyhold-hosts"
  static let instancesFormat = "keyhold-instances"

  // MARK: - Learned hosts

  /// The learned records; none when the file does not exist.
  public func learned() throws(HostBookError) -> [LearnedHost] {
    try read(learnedPath, format: Self.learnedFormat)
  }

  /// Merges `uses` into the learned file: a record for the same host key, key and user keeps its first use and
  /// takes the later last use, the sum of the counts and the newest key name and host key line.
  public func record(_ uses: [LearnedHost]) throws(HostBookError) {
    guard !uses.isEmpty else { return }
    try updateLearned { records in
      var position: [String: Int] = [:]
      for (i, r) in records.enumerated() { position[r.identity] = i }
      for u in uses {
        guard let i = position[u.identity] else {
          position[u.identity] = records.count
          records.append(u)
          continue
        }
        var r = records[i]
        r.lastUse = max(r.lastUse, u.lastUse)
        r.firstUse = min(r.firstUse, u.firstUse)
        r.uses += u.uses
        r.keyName = u.keyName ?? r.keyName
        r.hostKeyLine = u.hostKeyLine ?? r.hostKeyLine
        records[i] = r
      }
    }
  }

  /// Removes the learned records `matching` selects; returns how many went.
  @discardableResult
  public func forgetLearned(matching: (LearnedHost) -> Bool) throws(HostBookError) -> Int {
    var removed = 0
    try updateLearned { records in
      let before = records.count
      records.removeAll(where: matching)
      removed = before - records.count
    }
    return removed
  }

  func updateLearned(_ change: (inout [LearnedHost]) -> Void) throws(HostBookError) {
    try locked { () throws(HostBookError) in
      var records = try learned()
      change(&records)
      try write(learnedPath, Self.encodeLearned(records))
    }
  }

  /// Runs `body` holding the exclusive lock on `VAULT.hosts.lock` (flock(2): released when the descriptor closes,
  /// so also when the process dies).
  func locked<T>(_ body: () throws(HostBookError) -> T) throws(HostBookError) -> T {
    let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw .io("cannot open \(lockPath): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    while flock(fd, LOCK_EX) != 0 {
      guard errno == EINTR else { throw .io("cannot lock \(lockPath): \(String(cString: strerror(errno)))") }
    }
    return try body()
  }

  // MARK: - Cloud instances

  /// The instances the last sync stored; none when there is no file.
  public func instances() throws(HostBookError) -> [CloudInstance] {
    try read(instancesPath, format: Self.instancesFormat)
  }

  /// Replaces the instances file, under the hosts lock (so a sync and `keyhold hosts forget` never lose each
  /// other's change).
  public func saveInstances(_ instances: [CloudInstance]) throws(HostBookError) {
    try locked { () throws(HostBookError) in try writeInstances(instances) }
  }

  /// Replaces the instances file; the caller holds the hosts lock.
  func writeInstances(_ instances: [CloudInstance]) throws(HostBookError) {
    try write(instancesPath, Self.encodeInstances(instances))
  }

  /// Changes the stored instances under the hosts lock (so two `keyhold hosts forget` never lose each other's
  /// change); writes only when `change` returns true. No file: nothing to change.
  public func updateInstances(_ change: (inout [CloudInstance]) -> Bool) throws(HostBookError) {
    try locked { () throws(HostBookError) in
      var records = try instances()
      guard change(&records) else { return }
      try writeInstances(records)
    }
  }

  // MARK: - The file format

  /// The records of a learned hosts file's bytes (keyhold-hosts(5)); `path` names the file in errors.
  public static func decodeLearned(_ bytes: [UInt8], path: String) throws(HostBookError) -> [LearnedHost] {
    try HostBookFile.decode(bytes, format: learnedFormat, path: path)
  }

  /// A learned hosts file holding `records`.
  public static func encodeLearned(_ records: [LearnedHost]) -> [UInt8] {
    HostBookFile.encode(records, format: learnedFormat)
  }

  /// The records of an instances file's bytes (keyhold-hosts(5)); `path` names the file in errors.
  public static func decodeInstances(_ bytes: [UInt8], path: String) throws(HostBookError) -> [CloudInstance] {
    try HostBookFile.decode(bytes, format: instancesFormat, path: path)
  }

  /// An instances file holding `records`.
  public static func encodeInstances(_ records: [CloudInstance]) -> [UInt8] {
    HostBookFile.encode(records, format: instancesFormat)
  }

  // MARK: - The index

  /// Host key fingerprint → fingerprints of the keys known to open it: learned records, and every host key a
  /// stored instance's console printed, mapped to the vault key of the instance's key pair.
  public static func index(learned: [LearnedHost], instances: [CloudInstance]) -> [String: Set<String>] {
    var out: [String: Set<String>] = [:]
    for r in learned { out[r.hostKey, default: []].insert(r.key) }
    for i in instances {
      guard let key = i.keyFingerprint else { continue }
      for line in i.hostKeys {
        if let fp = fingerprint(ofKeyLine: line) { out[fp, default: []].insert(key) }
      }
    }
    return out
  }

  /// OpenSSH's `SHA256:` fingerprint of a public key blob (unpadded base64 of its SHA-256, as `ssh-keygen -l`).
  public static func fingerprint(ofBlob blob: [UInt8]) -> String {
    "SHA256:" + Base64.encode(Digest.sha256(blob), padded: false)
  }

  /// A public key blob as a `known_hosts` key field, `type base64` (RFC 4253 §6.6: the blob starts with the key
  /// type as an SSH string); nil when the blob does not start with a printable type name.
  public static func keyLine(ofBlob blob: [UInt8]) -> String? {
    guard blob.count >= 4 else { return nil }
    let length = blob.prefix(4).reduce(0) { $0 << 8 | Int($1) }
    guard length > 0, length <= 64, blob.count >= 4 + length else { return nil }
    let type = blob[4..<4 + length]
    guard type.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else { return nil }
    return String(decoding: type, as: UTF8.self) + " " + Base64.encode(blob)
  }

  /// The fingerprint of a `known_hosts`-style key field (`type base64 [comment]`); nil when it is not one.
  public static func fingerprint(ofKeyLine line: String) -> String? {
    let fields = line.split(separator: " ", omittingEmptySubsequences: true)
    guard fields.count >= 2, let blob = Base64.decode(Array(fields[1].utf8)), blob.count > 4 else { return nil }
    return fingerprint(ofBlob: blob)
  }

  // MARK: - Files

  func read<T: Decodable>(_ path: String, format: String) throws(HostBookError) -> [T] {
    let bytes: [UInt8]?
    do { bytes = try BoundedRead.file(path, limit: HostBookFile.sizeLimit) } catch {
      if case .tooLarge = error { throw .tooLarge(path: path, limit: HostBookFile.sizeLimit) }
      throw .io("\(error)")
    }
    guard let bytes else { return [] }
    return try HostBookFile.decode(bytes, format: format, path: path)
  }

  func write(_ path: String, _ bytes: [UInt8]) throws(HostBookError) {
    do { try AtomicFile.replace(path: path, contents: bytes, mode: 0o600) } catch { throw .io("\(error)") }
  }
}
