import Audit
import Cloud
import KeyholdCrypto
import SSHKeys
import Vault

/// `keyhold create`, `upload` and `delete`: the use cases that change key pairs in the cloud, each with its
/// compensation (a key pair the vault could not record is deleted again) and its guards (a key pair holding another
/// public key, or one that instances still use, is not deleted or forgotten on a guess).
public struct KeyPairs: Sendable {
  /// The cloud.
  public var context: CloudContext
  /// The vault.
  public var store: VaultStore
  /// Time.
  public var clock: UseCaseClock
  /// How the account of the credentials is found.
  public var lookUpAccount: @Sendable (CloudContext) async throws(CloudError) -> CloudAccount?

  /// Creates the use cases for one cloud and vault.
  public init(
    context: CloudContext, store: VaultStore, clock: UseCaseClock = .system,
    lookUpAccount: @escaping @Sendable (CloudContext) async throws(CloudError) -> CloudAccount? = Sync.cloudAccount
  ) {
    self.context = context
    self.store = store
    self.clock = clock
    self.lookUpAccount = lookUpAccount
  }

  /// The region a command that makes one key pair uses: `--region`, else the configured one.
  public var region: String { context.explicitRegions.first ?? context.defaultRegion }

  /// A binding for a key pair made or found now in `region`, naming the endpoint and the account id.
  func binding(_ pair: CloudKeyPair, region: String, account: CloudAccount?, flags: VaultBinding.Flags)
    -> VaultBinding
  {
    VaultBinding(
      cloud: context.endpointIdentity, account: account?.id ?? "", region: region, keyName: pair.keyName,
      cloudFingerprint: pair.keyFingerprint, keyPairID: pair.keyPairId ?? "", createdAt: clock.now(),
      flags: flags.union(account == nil ? [] : .accountFromCloud))
  }

  /// What `create` made.
  public struct Created: Sendable {
    /// The vault entry.
    public var entry: VaultEntry
    /// The cloud key pair.
    public var keyPair: CloudKeyPair
    /// The region it is in.
    public var region: String
    /// Whether a fingerprint formula of the stored key gives the cloud's value.
    public var fingerprintMatches: Bool
  }

  /// CreateKeyPair, with the private key going straight into the vault. If the vault does not take the key, the
  /// key pair is deleted again (nobody would hold its private key) and the error says so.
  public func create(name: String, keyName: String?, type: String, passphrase: SecureBytes) async throws -> Created {
    let view = try store.readPublic()
    if view.entry(named: name) != nil { throw VaultError.duplicateName(name) }
    let account = try await account()
    let region = self.region
    let cloudName = keyName ?? name
    let client = context.client(region: region)
    // Eucalyptus makes RSA only and refuses a KeyType parameter; send it only when it is not the default.
    let sendType: String? = client.endpoint.flavor == .eucalyptus && type == "rsa" ? nil : type
    let created = try await client.createKeyPair(name: cloudName, type: sendType)
    var material = created.keyMaterial
    defer { SecureBytes.wipe(&material) }
    do {
      let parsed = try KeyFile.parse(material, passphrase: SecureBytes?.none)
      guard let key = parsed.privateKey else { throw KeyholdError("the cloud returned no private key") }
      let b = binding(created.keyPair, region: region, account: account, flags: .createdByCloud)
      let added = try store.add(
        [VaultNewKey(name: name, privateKey: key, comment: cloudName, bindings: [b])], passphrase: passphrase)
      let wanted = Reconciler.normalize(created.keyPair.keyFingerprint)
      let matches = added[0].fingerprints.contains { Reconciler.normalize($0.value) == wanted }
      return Created(entry: added[0], keyPair: created.keyPair, region: region, fingerprintMatches: matches)
    } catch {
      _ = try? await client.deleteKeyPair(name: cloudName)
      throw KeyholdError(
        "\(error); key pair \(cloudName) was deleted again in \(region) because the vault did not take the key")
    }
  }

  /// What `upload` recorded.
  public struct Uploaded: Sendable {
    /// The new binding.
    public var binding: VaultBinding
  }

  /// ImportKeyPair of a vault key's public half, recorded as a binding; deleted again if the vault cannot record it.
  public func upload(name: String, keyName: String?, passphrase: SecureBytes) async throws -> Uploaded {
    let view = try store.readPublic()
    guard let entry = view.entry(named: name) else { throw VaultError.noSuchKey(name) }
    let line: String
    do {
      line = try PublicKey(blob: entry.publicKeyBlob).openSSHLine(comment: entry.comment)
    } catch {
      throw KeyholdError("cannot read the public key of \(name): \(error)")
    }
    let account = try await account()
    let region = self.region
    let cloudName = keyName ?? name
    let client = context.client(region: region)
    let pair = try await client.importKeyPair(name: cloudName, publicKeyLine: line)
    let b = binding(pair, region: region, account: account, flags: .importedToCloud)
    do {
      let kept = entry.bindings.filter { !$0.sameKeyPair(as: b) }
      try store.setBindings(kept + [b], of: name, passphrase: passphrase)
    } catch {
      _ = try? await client.deleteKeyPair(name: cloudName)
      throw KeyholdError(
        "\(error); key pair \(cloudName) was deleted again in \(region) because the vault could not record it")
    }
    return Uploaded(binding: b)
  }

  /// How far `delete` may go.
  public struct DeletePolicy: Sendable {
    /// Remove the key from the vault (retire it) after deleting the key pair; nil: ask `confirm`.
    public var removeLocal: Bool?
    /// Delete the key pair even though its fingerprint does not prove it holds this key.
    public var deleteMismatched: Bool
    /// Retire the key even though instances may still use it.
    public var forceInUse: Bool
    /// How long a retired key is kept, in seconds.
    public var retention: Int64

    /// Creates a policy.
    public init(
      removeLocal: Bool?, deleteMismatched: Bool = false, forceInUse: Bool = false,
      retention: Int64 = VaultRetention.defaultSeconds
    ) {
      self.removeLocal = removeLocal
      self.deleteMismatched = deleteMismatched
      self.forceInUse = forceInUse
      self.retention = retention
    }
  }

  /// What `delete` did.
  public struct Deleted: Sendable {
    /// The key pair name and region.
    public var keyName: String
    /// The region.
    public var region: String
    /// Whether the cloud had the key pair.
    public var existed: Bool
    /// Instance use of the key pair, as the cloud answered before the delete.
    public var instanceUse: KeyEvidence.InstanceUse
    /// Whether the key was retired from the vault.
    public var retired: Bool
    /// Whether the binding was dropped from the vault (it is kept while instances may use the key pair).
    public var droppedBinding: Bool
    /// Why the key was kept, when it was.
    public var keptBecause: String?
  }

  /// DeleteKeyPair of the key pair a vault key is bound to, after checking with the cloud that the key pair still
  /// holds this key (fingerprint) and asking how many instances still use it.
  ///
  /// - `confirm` is asked whether to remove the key from the vault too, when the policy leaves it open; nil from it
  ///   means nobody could be asked, and the key stays.
  /// - `passphrase` is read only when the vault is to be written.
  public func delete(
    name: String, policy: DeletePolicy, confirm: (String) -> Bool?, passphrase: () throws -> SecureBytes
  ) async throws -> Deleted {
    let view = try store.readPublic()
    guard let entry = view.entry(named: name) else { throw VaultError.noSuchKey(name) }
    let ctx = try await context.withAccount(lookUpAccount)
    let states = KeyBindings.of(entry, in: view, context: ctx).filter {
      ($0.place.endpoint.isEmpty || $0.place.endpoint == ctx.endpointIdentity)
        && ($0.place.account.isEmpty || $0.place.account == ctx.accountID)
        && (ctx.explicitRegions.isEmpty || $0.place.region == ctx.explicitRegions[0])
        && !$0.place.region.isEmpty
    }
    guard states.count <= 1 else {
      throw KeyholdError(
        "\(name) is bound to \(states.count) key pairs on this cloud",
        hint: "choose one with --region (\(states.map(\.place.region).joined(separator: ", ")))")
    }
    let state = states.first
    let region = state?.place.region ?? region
    let keyName = state?.keyName ?? name
    let client = ctx.client(region: region)

    // Evidence first: the key pair must be listed with one of this key's fingerprints.
    let listed = try await client.describeKeyPairs().first { $0.keyName == keyName }
    guard let listed else {
      return Deleted(
        keyName: keyName, region: region, existed: false, instanceUse: .none, retired: false, droppedBinding: false,
        keptBecause: nil)
    }
    let report = Reconciler.reconcile(
      [
        LocalKey(
          name: name,
          fingerprints: Dictionary(entry.fingerprints.map { ($0.kind, $0.value) }, uniquingKeysWith: { a, _ in a }),
          bindings: [KeyBinding(scope: ctx.scope(region), keyName: keyName)])
      ],
      [
        CloudListing(
          scope: ctx.scope(region),
          result: .success([
            ListedKeyPair(keyName: listed.keyName, keyFingerprint: listed.keyFingerprint, keyPairId: listed.keyPairId)
          ]))
      ], options: .init(now: clock.now()))
    let verdict = report.entries.first { $0.localKey == name }?.state ?? .unverifiable
    if verdict != .inSync && verdict != .idChanged && !policy.deleteMismatched {
      throw KeyholdError(
        "refusing to delete key pair \(keyName) in \(region): its fingerprint \(listed.keyFingerprint) is "
          + (verdict == .replaced
            ? "not one of \(name)'s (the key pair holds another public key)"
            : "of a kind that cannot be checked against \(name)"),
        hint: "`keyhold audit` shows it as \(verdict.rawValue); --delete-mismatched deletes it anyway")
    }

    let instanceUse: KeyEvidence.InstanceUse
    do {
      let n = try await client.instanceCounts(keyNames: [keyName])[keyName] ?? 0
      instanceUse = n > 0 ? .inUse(n, places: ["\(keyName) in \(region)"]) : .none
    } catch {
      instanceUse = .unknown(places: ["\(keyName) in \(region)"])
    }
    let existed = try await client.deleteKeyPair(name: keyName)

    var remove = policy.removeLocal
    if remove == nil { remove = confirm("Remove \(name) from the vault too?") ?? false }
    var keptBecause: String?
    if remove == true && instanceUse.mayBeInUse && !policy.forceInUse {
      keptBecause = instanceUse.reasonToKeep.map { "\($0); its private key may be the only way in" }
      remove = false
    }
    if remove == true {
      let p = try passphrase()
      try store.retire(
        names: [name], reason: "deleted key pair \(keyName) in \(region)", retention: policy.retention, passphrase: p)
      AuditStore(vaultPath: store.path).forget(localKeys: [name])
      return Deleted(
        keyName: keyName, region: region, existed: existed, instanceUse: instanceUse, retired: true,
        droppedBinding: true, keptBecause: nil)
    }
    // The key stays. Its binding goes only when no instance may use the key pair: otherwise the audit keeps
    // showing it orphaned, with the instance count, so the key is not pruned on a guess later.
    var dropped = false
    if let sealed = state?.sealed, !instanceUse.mayBeInUse {
      let p = try passphrase()
      try store.setBindings(entry.bindings.filter { !$0.sameKeyPair(as: sealed) }, of: name, passphrase: p)
      dropped = true
    } else if instanceUse.mayBeInUse && keptBecause == nil {
      keptBecause = instanceUse.reasonToKeep.map { "binding kept: \($0)" }
    }
    return Deleted(
      keyName: keyName, region: region, existed: existed, instanceUse: instanceUse, retired: false,
      droppedBinding: dropped, keptBecause: keptBecause)
  }

  func account() async throws -> CloudAccount? {
    try await context.withAccount(lookUpAccount).account
  }

}
