import ArgumentParser
import Cloud
import KeyholdCore

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

  /// The resolved cloud, as the use cases take it.
  func resolve() throws -> CloudContext {
    let resolver = Self.resolver()
    let flavor: CloudFlavor? = eucalyptus ? .eucalyptus : nil
    let target: CloudTarget
    switch Result(catching: { () throws(CloudConfigError) -> CloudTarget in
      try resolver.resolve(.init(profile: profile, endpointURL: endpoint, regions: region, flavor: flavor))
    }) {
    case .success(let t): target = t
    case .failure(let e): throw CLIError(e.description, hint: e.hint)
    }
    // The configured region: the first region a command without --region uses.
    let configured =
      (try? resolver.resolve(.init(profile: profile, endpointURL: endpoint, flavor: flavor)))?.regions.first
      ?? target.regions[0]
    let env = resolver.env
    let profileName = profile ?? env["AWS_PROFILE"].flatMap { $0.isEmpty ? nil : $0 }
    return CloudContext(
      target: target, defaultRegion: configured, explicitRegions: region, profileName: profileName,
      timeout: timeout, transport: URLSessionTransport())
  }
}
