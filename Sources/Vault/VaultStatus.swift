import Synchronization

/// The vault's unsealed status section: the last sync result per cloud binding.
public struct VaultStatus: Hashable, Sendable {
  /// One record per (entry, binding) the cloud was last asked about. Change it through ``set(_:)``,
  /// ``set(contentsOf:)`` and ``removeAll()``, which keep the lookup index right.
  public private(set) var records: [VaultStatusRecord]

  /// An index from (entry, binding) to the record's position, built on first lookup. `list`, `audit` and the
  /// agent look up every binding of every key; a linear search each time is quadratic in the vault's size.
  private var lookup = Lookup()

  /// Creates a status section.
  public init(records: [VaultStatusRecord] = []) {
    self.records = records
  }

  public static func == (a: VaultStatus, b: VaultStatus) -> Bool { a.records == b.records }
  public func hash(into hasher: inout Hasher) { hasher.combine(records) }

  /// The record for `binding` of entry `id`, if any.
  public func record(for binding: VaultBinding, of id: VaultEntryID) -> VaultStatusRecord? {
    let key = RecordKey(
      entryID: id, cloud: binding.cloud, account: binding.account, region: binding.region,
      keyName: binding.keyName)
    return lookup.index(of: key, in: records).map { records[$0] }
  }

  /// Every record about entry `id`.
  public func records(of id: VaultEntryID) -> [VaultStatusRecord] {
    records.filter { $0.entryID == id }
  }

  /// Stores `record`, replacing the one about the same entry and binding.
  public mutating func set(_ record: VaultStatusRecord) { set(contentsOf: [record]) }

  /// Stores every record, each replacing the one about the same entry and binding, with one index for the batch.
  public mutating func set(contentsOf newRecords: [VaultStatusRecord]) {
    var index = lookup.snapshot(of: records)
    for r in newRecords {
      let key = RecordKey(r)
      if let i = index[key] {
        records[i] = r
      } else {
        index[key] = records.count
        records.append(r)
      }
    }
    lookup = Lookup(index)
  }

  /// Drops every record.
  public mutating func removeAll() {
    records.removeAll()
    lookup = Lookup([:])
  }

  /// Drops records whose entry or binding no longer exists.
  mutating func prune(keeping entries: [VaultEntry]) {
    var live = Set<RecordKey>()
    for entry in entries {
      for b in entry.bindings {
        live.insert(
          RecordKey(entryID: entry.id, cloud: b.cloud, account: b.account, region: b.region, keyName: b.keyName))
      }
    }
    if records.allSatisfy({ live.contains(RecordKey($0)) }) { return }
    records.removeAll { !live.contains(RecordKey($0)) }
    lookup = Lookup()
  }

  /// What identifies a record: its entry and the binding it describes.
  struct RecordKey: Hashable, Sendable {
    var entryID: VaultEntryID
    var cloud: String
    var account: String
    var region: String
    var keyName: String

    init(entryID: VaultEntryID, cloud: String, account: String, region: String, keyName: String) {
      self.entryID = entryID
      self.cloud = cloud
      self.account = account
      self.region = region
      self.keyName = keyName
    }

    init(_ r: VaultStatusRecord) {
      self.init(entryID: r.entryID, cloud: r.cloud, account: r.account, region: r.region, keyName: r.keyName)
    }
  }

  /// The lazily built position index; shared by copies of an unchanged status, replaced on every change.
  final class Lookup: Sendable {
    private let table: Mutex<[RecordKey: Int]?>

    init(_ table: [RecordKey: Int]? = nil) { self.table = Mutex(table) }

    /// The whole index, built from `records` if it is not yet.
    func snapshot(of records: [VaultStatusRecord]) -> [RecordKey: Int] {
      table.withLock { table in
        if let table { return table }
        var built = [RecordKey: Int](minimumCapacity: records.count)
        for (i, r) in records.enumerated() where built[RecordKey(r)] == nil { built[RecordKey(r)] = i }
        table = built
        return built
      }
    }

    func index(of key: RecordKey, in records: [VaultStatusRecord]) -> Int? { snapshot(of: records)[key] }
  }
}
