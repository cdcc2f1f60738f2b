import KeyholdCrypto
import SSHKeys

#if canImport(Glibc)
  import Glibc
#endif

/// How much the agent logs (`-D`: info, `-d`: debug).
public enum AgentLogLevel: Int, Sendable, Comparable {
  /// Errors and notable events.
  case info = 1
  /// Every request, by its spec name.
  case debug = 2

  public static func < (a: AgentLogLevel, b: AgentLogLevel) -> Bool { a.rawValue < b.rawValue }
}

/// A monotonic clock in seconds, injected so lifetimes can be tested without waiting.
public protocol AgentClock: Sendable {
  /// Seconds on a clock that never goes backwards.
  func now() -> UInt64
}

/// The system's monotonic clock.
public struct MonotonicClock: AgentClock {
  /// Creates the clock.
  public init() {}

  public func now() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec)
  }
}

/// The system's wall clock (seconds since the Unix epoch), for certificate validity periods.
public struct WallClock: AgentClock {
  /// Creates the clock.
  public init() {}

  public func now() -> UInt64 { UInt64(max(0, time(nil))) }
}

/// Which digest fingerprints in prompts and logs use (`-E`).
public enum FingerprintHash: String, Sendable {
  /// `SHA256:base64`.
  case sha256
  /// `MD5:hex:...`.
  case md5
}

/// Everything the agent is told from outside: policy flags, and the closures through which it reaches the user.
public struct AgentConfiguration: Sendable {
  /// Lifetime given to keys added without one (`-t`); nil: forever.
  public var defaultLifetime: UInt32?
  /// Digest shown in confirmation prompts.
  public var fingerprintHash: FingerprintHash
  /// Whether a sign request for a sealed vault key may ask for the vault passphrase.
  public var lazyUnlock: Bool
  /// Asks the user to allow one use of a confirm-constrained key; true to allow. Nil: always refuse.
  public var confirm: (@Sendable (_ prompt: String) -> Bool)?
  /// Asks the user for the vault passphrase (lazy unlock). Nil or a nil result: no unlock.
  public var askVaultPassphrase: (@Sendable (_ prompt: String) -> SecureBytes?)?
  /// Receives log lines at or below ``logLevel``.
  public var log: (@Sendable (_ level: AgentLogLevel, _ line: String) -> Void)?
  /// The most detailed level passed to ``log``.
  public var logLevel: AgentLogLevel
  /// The clock for lifetimes and vault timeouts.
  public var clock: any AgentClock
  /// Seconds since the Unix epoch, for the validity of host certificates in destination restrictions.
  public var wallClock: any AgentClock
  /// Waits `milliseconds`: the back-off after wrong passphrases (injected so tests record it instead of waiting).
  public var pause: @Sendable (_ milliseconds: UInt32) -> Void
  /// Argon2id parameters for the lock passphrase hash.
  public var lockKDF: Sodium.KDFParameters
  /// Which PKCS #11 providers ssh-add -s may load (ssh-agent(1) `-P`).
  public var pkcs11AllowList: PKCS11AllowList
  /// The keyhold-pkcs11-helper executable; nil: next to the running executable (``PKCS11Provider/helperPath(override:)``).
  public var pkcs11Helper: String?
  /// How long a PKCS #11 helper may take to answer before it is killed (``PKCS11Deadlines``).
  public var pkcs11Deadlines = PKCS11Deadlines.standard
  /// How often, at most, signatures check whether the vault file changed, in nanoseconds (0: before every
  /// signature). A check is one stat(2), a microsecond or several on a loaded machine, next to tens for an Ed25519
  /// signature; reading a coarse clock instead costs tens of nanoseconds, and 0.1 s keeps removed keys from
  /// signing well within a second. Listings, status requests and signatures by a key the agent does not hold
  /// check every time.
  public var vaultCheckInterval: UInt64 = 100_000_000
  /// The socket path `status@keyhold` reports; nil when unknown.
  public var socketPath: String? = nil
  /// Why no passphrase prompt can be shown (no askpass program, no display), so a sealed vault's keys are not
  /// listed; nil when a prompt can be shown. Lazy unlock is off when this is set.
  public var promptUnavailable: String? = nil
  /// Which keys open which servers: bound connections list those keys first (keyhold-agent(1), KEY ORDER);
  /// nil: every connection sees the plain list.
  public var hosts: (any HostDirectory)? = nil
  /// Whether user-authentication signatures on bound connections are recorded in ``hosts`` (`--no-learn`: off).
  public var learnHosts = true
  /// Whether a bound connection's listing leaves out keys known to open only other hosts (`--hide-other-hosts`).
  public var hideOtherHosts = false
  /// Receives every answered sign request (keyhold-log(1)); nil: nothing is recorded (`--no-log`).
  public var signatureLog: (any SignatureRecorder)? = nil

  /// Creates a configuration with ssh-agent's defaults.
  public init(
    defaultLifetime: UInt32? = nil, fingerprintHash: FingerprintHash = .sha256, lazyUnlock: Bool = true,
    confirm: (@Sendable (String) -> Bool)? = nil, askVaultPassphrase: (@Sendable (String) -> SecureBytes?)? = nil,
    log: (@Sendable (AgentLogLevel, String) -> Void)? = nil, logLevel: AgentLogLevel = .info,
    clock: any AgentClock = MonotonicClock(), wallClock: any AgentClock = WallClock(),
    pause: @escaping @Sendable (UInt32) -> Void = { usleep($0 * 1000) },
    lockKDF: Sodium.KDFParameters = LockHash.defaultParameters, pkcs11AllowList: PKCS11AllowList = .default,
    pkcs11Helper: String? = nil
  ) {
    self.defaultLifetime = defaultLifetime
    self.fingerprintHash = fingerprintHash
    self.lazyUnlock = lazyUnlock
    self.confirm = confirm
    self.askVaultPassphrase = askVaultPassphrase
    self.log = log
    self.logLevel = logLevel
    self.clock = clock
    self.wallClock = wallClock
    self.pause = pause
    self.lockKDF = lockKDF
    self.pkcs11AllowList = pkcs11AllowList
    self.pkcs11Helper = pkcs11Helper
  }
}
