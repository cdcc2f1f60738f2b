import ArgumentParser
import Cloud
import Vault

#if canImport(Glibc)
  import Glibc
#endif

/// The options every cloud command shares: which endpoint, as whom, which regions (keyhold-sync(1), "CLOUD
/// SELECTION").
struct CloudOptions: ParsableArguments {
  @Option(
    name: .long, help: ArgumentHelp("Use this profile from ~/.aws/config and ~/.aws/credentials.", valueName: "name"))
  var profile: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "The EC2 endpoint URL (default: AWS_ENDPOINT_URL_EC2, AWS_ENDPOINT_URL, the profile, EC2_URL, euca2ools).",
      valueName: "url"))
  var endpoint: String?

  @Option(
    name: .long,
    help: ArgumentHelp("A region to use; repeat for several (default: the configured region).", valueName: "region"))
  var region: [String] = []

  @Flag(name: .long, help: "Treat the endpoint as Eucalyptus (detected from a /services/ path or euca2ools files).")
  var eucalyptus = false

  @Option(name: .long, help: ArgumentHelp("Seconds to wait for each answer (default 20).", valueName: "seconds"))
  var timeout: Double = 20

  func validate() throws {
    if profile != nil && endpoint != nil {
      throw ValidationError("give --profile or --endpoint, not both")
    }
    guard timeout > 0 && timeout <= 600 else { throw ValidationError("--timeout must be between 0 and 600 seconds") }
  }

  /// The resolver over the process environment and the real files.
  static func resolver() -> CloudConfigResolver {
    let env = VaultLocation.currentEnvironment()
    var home = env["HOME"] ?? ""
    if !home.hasPrefix("/"), let pw = getpwuid(getuid()), let dir = pw.pointee.pw_dir { home = String(cString: dir) }
    return CloudConfigResolver(env: env, home: home, files: .local)
  }

  /// The resolved cloud, with the names a vault binding may use for it.
  func resolve() throws -> ResolvedCloud {
    let resolver = Self.resolver()
    let flavor: CloudFlavor? = eucalyptus ? .eucalyptus : nil
    let target: CloudTarget
    switch Result(catching: { () throws(CloudConfigError) -> CloudTarget in
      try resolver.resolve(.init(profile: profile, endpointURL: endpoint, regions: region, flavor: flavor))
    }) {
    case .success(let t): target = t
    case .failure(let e): throw CLIError(e.description, hint: e.hint)
    }
    // The configured region, for bindings stored without one.
    let configured =
      (try? resolver.resolve(.init(profile: profile, endpointURL: endpoint, flavor: flavor)))?.regions.first
      ?? target.regions[0]
    let env = resolver.env
    let profileName = profile ?? env["AWS_PROFILE"].flatMap { $0.isEmpty ? nil : $0 }
    return ResolvedCloud(
      target: target, defaultRegion: configured, explicitRegions: region, profileName: profileName,
      explicitEndpoint: endpoint, timeout: timeout)
  }
}

/// A resolved cloud target plus what the CLI needs to relate it to vault bindings.
struct ResolvedCloud {
  /// Endpoint, credentials and regions.
  var target: CloudTarget
  /// The region a binding with an empty region refers to.
  var defaultRegion: String
  /// The regions named with `--region`.
  var explicitRegions: [String]
  /// The AWS profile in use, if any.
  var profileName: String?
  /// `--endpoint`, if given.
  var explicitEndpoint: String?
  /// Per-request timeout in seconds.
  var timeout: Double

  /// The name stored in a new binding's `cloud`: the endpoint URL when one was given, else the profile name, else
  /// `aws` (AWS's public endpoints) or the configured URL.
  var bindingName: String {
    if explicitEndpoint != nil { return target.endpoint.url }
    if target.usesAWSPublicEndpoints, let profileName { return profileName }
    return target.endpointName
  }

  /// Whether a binding belongs to this target: its cloud names it (see `covers(cloud:)`) and its account is empty or
  /// this target's account (the access key id).
  func covers(_ binding: VaultBinding) -> Bool {
    covers(cloud: binding.cloud) && (binding.account.isEmpty || binding.account == target.account)
  }

  /// Whether a binding's stored `cloud` names this target: empty (the default cloud), the endpoint URL, the
  /// profile name, or `aws`.
  func covers(cloud: String) -> Bool {
    if cloud.isEmpty { return true }
    if cloud == bindingName || cloud == target.endpointName { return true }
    if let profileName, cloud == profileName { return true }
    if let e = try? EC2Endpoint(url: cloud, region: defaultRegion), !target.usesAWSPublicEndpoints {
      return e.url == target.endpoint.url
    }
    return false
  }

  /// The region a binding refers to.
  func region(of bindingRegion: String) -> String { bindingRegion.isEmpty ? defaultRegion : bindingRegion }

  /// A client for one region.
  func client(region: String, transport: any HTTPTransport) -> EC2Client {
    EC2Client(
      endpoint: target.endpoint(for: region), credentials: target.credentials, transport: transport, timeout: timeout)
  }
}
