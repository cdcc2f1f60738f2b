/// The vault's unsealed status section: the last sync result per cloud binding.
public struct VaultStatus: Hashable, Sendable {
  /// One record per (entry, binding) the cloud was last asked about.
  public var records: [VaultStatusRecord]

  /// Creates a status section.
  public init(records: [VaultStatusRecord] = []) {
    self.records = records
  }

  /// The record for `binding` of entry `id`, if any.
  public func record(for binding: VaultBinding, of id: VaultEntryID) -> VaultStatusRecord? {
    records.first { $0.describes(binding, of: id) }
  }

  /// Every record about entry `id`.
  public func records(of id: VaultEntryID) -> [VaultStatusRecord] {
    records.filter { $0.entryID == id }
  }

  /// Stores `record`, replacing the one about the same entry and binding.
  public mutating func set(_ record: VaultStatusRecord) {
    if let i = records.firstIndex(where: { $0.entryID == record.entryID && $0.bindingKey == record.bindingKey }) {
      records[i] = record
    } else {
      records.append(record)
    }
  }

  /// Drops records whose entry or binding no longer exists.
  mutating func prune(keeping entries: [VaultEntry]) {
    records.removeAll { record in
      guard let entry = entries.first(where: { $0.id == record.entryID }) else { return true }
      return !entry.bindings.contains { record.describes($0, of: entry.id) }
    }
  }
}
