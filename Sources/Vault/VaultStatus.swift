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

  /// The record for the sealed `binding` of entry `id` (one about the binding itself or one resolving it), if any.
  public func record(for binding: VaultBinding, of id: VaultEntryID) -> VaultStatusRecord? {
    let key = RecordKey(entryID: id, learned: false, key: binding.key)
    return lookup.index(of: key, in: records).map { records[$0] }
  }

  /// The records of key pairs a sync found by fingerprint for entry `id` (flag ``VaultStatusRecord/Flags/learned``).
  public func learnedRecords(of id: VaultEntryID) -> [VaultStatusRecord] {
    records(of: id).filter { $0.flags.contains(.learned) }
  }

  /// Every record about entry `id`, in stored order. Indexed: a sync asks this of every entry, and a filter over
  /// all records each time was quadratic (5,000 keys x 10 regions: 250 million comparisons).
  public func records(of id: VaultEntryID) -> [VaultStatusRecord] {
    lookup.positions(of: id, in: records).map { records[$0] }
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

  /// Replaces every record found in one of `scopes` (by the record's own cloud, account and region) with
  /// `newRecords`: what one sync of those scopes learned, so that nothing stale from an earlier sync of them stays.
  public mutating func replaceRecords(in scopes: Set<VaultStatusScope>, with newRecords: [VaultStatusRecord]) {
    records.removeAll { scopes.contains(VaultStatusScope(of: $0)) }
    lookup = Lookup()
    set(contentsOf: newRecords)
  }

  /// Drops the records `shouldRemove` picks (a sync replacing what it knew of a binding whose place it found).
  public mutating func removeAll(where shouldRemove: (VaultStatusRecord) -> Bool) {
    guard records.contains(where: shouldRemove) else { return }
    records.removeAll(where: shouldRemove)
    lookup = Lookup()
  }

  /// Drops every record.
  public mutating func removeAll() {
    records.removeAll()
    lookup = Lookup([:])
  }

  /// Drops records whose entry (active, not retired) or sealed binding no longer exists; learned records stay while
  /// their entry does.
  mutating func prune(keeping entries: [VaultEntry]) {
    var live = Set<RecordKey>()
    var ids = Set<VaultEntryID>()
    for entry in entries {
      ids.insert(entry.id)
      for b in entry.bindings { live.insert(RecordKey(entryID: entry.id, learned: false, key: b.key)) }
    }
    func keep(_ r: VaultStatusRecord) -> Bool {
      r.flags.contains(.learned) ? ids.contains(r.entryID) : live.contains(RecordKey(r))
    }
    if records.allSatisfy(keep) { return }
    records.removeAll { !keep($0) }
    lookup = Lookup()
  }

  /// What identifies a record: its entry and the sealed binding it describes (for a learned record: the place).
  struct RecordKey: Hashable, Sendable {
    var entryID: VaultEntryID
    var learned: Bool
    var key: VaultBindingKey

    init(entryID: VaultEntryID, learned: Bool, key: VaultBindingKey) {
      self.entryID = entryID
      self.learned = learned
      self.key = key
    }

    init(_ r: VaultStatusRecord) {
      self.init(entryID: r.entryID, learned: r.flags.contains(.learned), key: r.sealedBinding ?? r.place)
    }
  }

  /// The lazily built position index; shared by copies of an unchanged status, replaced on every change.
  final class Lookup: Sendable {
    private let table: Mutex<[RecordKey: Int]?>
    private let byEntry = Mutex<[VaultEntryID: [Int]]?>(nil)

    init(_ table: [RecordKey: Int]? = nil) { self.table = Mutex(table) }

    /// The positions of entry `id`'s records, from an index built on first use.
    func positions(of id: VaultEntryID, in records: [VaultStatusRecord]) -> [Int] {
      byEntry.withLock { index in
        if let index { return index[id] ?? [] }
        var built: [VaultEntryID: [Int]] = [:]
        for (i, r) in records.enumerated() { built[r.entryID, default: []].append(i) }
        index = built
        return built[id] ?? []
      }
    }

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

/// A place a sync lists: one region of one account of one cloud.
public struct VaultStatusScope: Hashable, Sendable {
  /// The cloud endpoint URL or profile name.
  public var cloud: String
  /// The account.
  public var account: String
  /// The region.
  public var region: String

  /// Creates a scope.
  public init(cloud: String, account: String, region: String) {
    self.cloud = cloud
    self.account = account
    self.region = region
  }

  /// The scope a record was found in (its own cloud, account and region).
  public init(of record: VaultStatusRecord) {
    self.init(cloud: record.cloud, account: record.account, region: record.region)
  }
}
