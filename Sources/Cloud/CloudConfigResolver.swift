/// Works out endpoint, credentials and regions the way users already configure the aws cli and euca2ools.
///
/// The environment and the file system come in as values (`env`, `home`, `files`); this type never reads the
/// process environment itself. Order (first match wins):
///
/// 1. `--profile P`: AWS profile P from `~/.aws/credentials` and `~/.aws/config` (the aws cli lets an explicit
///    profile beat the environment).
/// 2. `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`).
/// 3. `EC2_ACCESS_KEY` + `EC2_SECRET_KEY` (euca2ools 2 / a sourced eucarc), endpoint `EC2_URL`.
/// 4. The AWS profile named by `AWS_PROFILE` / `AWS_DEFAULT_PROFILE`, else `default`, when it holds keys.
/// 5. euca2ools 3 ini files: `/etc/euca2ools/euca2ools.ini`, `/etc/euca2ools/conf.d/*.ini`, `~/.euca/*.ini`
///    (`[region N] ec2-url, user`; `[user N] key-id, secret-key`; `[global] default-region`).
/// 6. A eucarc file (`~/.euca/eucarc`, `~/.eucarc`, or `EUCARC`), parsed line by line, never run.
///
/// AWS endpoint: `--endpoint`, `AWS_ENDPOINT_URL_EC2`, `AWS_ENDPOINT_URL`, the profile's `services` section
/// (`ec2 = endpoint_url = ...`), the profile's `endpoint_url`, else `https://ec2.<region>.amazonaws.com/`.
/// AWS region: `--region`, `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region`.
public struct CloudConfigResolver: Sendable {
  /// The command-line choices that override configuration.
  public struct Options: Sendable, Equatable {
    /// `--profile`.
    public var profile: String?
    /// `--endpoint`.
    public var endpointURL: String?
    /// `--region` (repeatable). A euca2ools `USER@REGION` form selects the user too.
    public var regions: [String]
    /// Forces the API dialect (`--eucalyptus`); nil detects it.
    public var flavor: CloudFlavor?

    /// Creates options.
    public init(profile: String? = nil, endpointURL: String? = nil, regions: [String] = [], flavor: CloudFlavor? = nil)
    {
      self.profile = profile
      self.endpointURL = endpointURL
      self.regions = regions
      self.flavor = flavor
    }
  }

  /// The process environment as a dictionary.
  public var env: [String: String]
  /// The user's home folder.
  public var home: String
  /// The file reader.
  public var files: ConfigFiles

  /// Creates a resolver.
  public init(env: [String: String], home: String, files: ConfigFiles = .local) {
    self.env = env
    self.home = home
    self.files = files
  }

  /// Resolves the target for `options`.
  public func resolve(_ options: Options = Options()) throws(CloudConfigError) -> CloudTarget {
    if let profile = options.profile {
      return try awsProfileTarget(profile, options: options, required: true)!
    }
    if let id = nonEmpty("AWS_ACCESS_KEY_ID"), let secret = nonEmpty("AWS_SECRET_ACCESS_KEY") {
      let creds = AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: nonEmpty("AWS_SESSION_TOKEN"))
      return try awsTarget(creds, profile: currentProfileName, options: options, source: "environment")
    }
    if let id = nonEmpty("EC2_ACCESS_KEY") ?? nonEmpty("AWS_ACCESS_KEY"),
      let secret = nonEmpty("EC2_SECRET_KEY") ?? nonEmpty("AWS_SECRET_KEY")
    {
      let url = nonEmpty("EC2_URL")
      return try eucaTarget(
        AWSCredentials(accessKeyID: id, secretAccessKey: secret), url: url, regionName: nil, options: options,
        source: "environment (EC2_ACCESS_KEY)")
    }
    if let t = try awsProfileTarget(currentProfileName, options: options, required: false) { return t }
    if let t = try eucaIniTarget(options: options) { return t }
    if let t = try eucarcTarget(options: options) { return t }
    throw .noCredentials
  }

  // MARK: - AWS

  var currentProfileName: String { nonEmpty("AWS_PROFILE") ?? nonEmpty("AWS_DEFAULT_PROFILE") ?? "default" }

  func nonEmpty(_ name: String) -> String? {
    guard let v = env[name], !v.trimmingSpaces.isEmpty else { return nil }
    return String(v.trimmingSpaces)
  }

  func expand(_ path: String) -> String {
    if path == "~" { return home }
    if path.hasPrefix("~/") { return home + path.dropFirst() }
    return path
  }

  var awsConfig: IniFile {
    files.read(expand(nonEmpty("AWS_CONFIG_FILE") ?? "~/.aws/config")).map(IniFile.init(parsing:)) ?? IniFile()
  }

  var awsCredentialsFile: IniFile {
    files.read(expand(nonEmpty("AWS_SHARED_CREDENTIALS_FILE") ?? "~/.aws/credentials"))
      .map(IniFile.init(parsing:)) ?? IniFile()
  }

  /// The merged settings of an AWS profile: `[profile P]` (or `[default]`) in config, then `[P]` in credentials.
  func awsProfile(_ name: String) -> [String: String]? {
    let config = awsConfig
    let configSection =
      name == "default"
      ? (config.sections["default"] ?? config.sections["profile default"])
      : config.sections["profile \(name)"]
    let credSection = awsCredentialsFile.sections[name]
    if configSection == nil && credSection == nil { return nil }
    var merged = configSection ?? [:]
    merged.merge(credSection ?? [:]) { _, cred in cred }
    return merged
  }

  func awsProfileTarget(_ name: String, options: Options, required: Bool) throws(CloudConfigError) -> CloudTarget? {
    guard let p = awsProfile(name) else {
      if required { throw .profileNotFound(name) }
      return nil
    }
    guard let id = p["aws_access_key_id"], !id.isEmpty, let secret = p["aws_secret_access_key"], !secret.isEmpty
    else {
      for setting in ["credential_process", "sso_session", "sso_start_url", "role_arn", "web_identity_token_file"]
      where p[setting] != nil {
        throw .unsupportedCredentialSource(profile: name, setting: setting)
      }
      if required { throw .noCredentials }
      return nil
    }
    let creds = AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: p["aws_session_token"])
    return try awsTarget(creds, profile: name, options: options, source: "aws profile \(name)")
  }

  func awsTarget(_ creds: AWSCredentials, profile: String, options: Options, source: String) throws(CloudConfigError)
    -> CloudTarget
  {
    let settings = awsProfile(profile) ?? [:]
    let ignoreConfigured = nonEmpty("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")?.lowercased() == "true"
    var url = options.endpointURL
    if url == nil && !ignoreConfigured {
      url = nonEmpty("AWS_ENDPOINT_URL_EC2") ?? nonEmpty("AWS_ENDPOINT_URL")
      if url == nil, let services = settings["services"] {
        url = awsConfig.value("services \(services)", "ec2.endpoint_url")
      }
      if url == nil { url = settings["endpoint_url"] }
    }
    var regions = options.regions
    if regions.isEmpty {
      if let r = nonEmpty("AWS_REGION") ?? nonEmpty("AWS_DEFAULT_REGION") ?? settings["region"], !r.isEmpty {
        regions = [r]
      } else if url != nil {
        regions = ["us-east-1"]  // a custom endpoint (moto, a private cloud) still needs a signing region
      } else {
        throw .noRegion
      }
    }
    if let url {
      let endpoint = try EC2Endpoint(url: url, region: regions[0], flavor: options.flavor)
      return CloudTarget(
        credentials: creds, endpoint: endpoint, regions: regions, usesAWSPublicEndpoints: false, source: source)
    }
    var endpoint = EC2Endpoint.aws(region: regions[0])
    if let f = options.flavor { endpoint.flavor = f }
    return CloudTarget(
      credentials: creds, endpoint: endpoint, regions: regions, usesAWSPublicEndpoints: true, source: source)
  }

  // MARK: - Eucalyptus

  func eucaTarget(
    _ creds: AWSCredentials, url: String?, regionName: String?, options: Options, source: String
  ) throws(CloudConfigError) -> CloudTarget {
    guard var url = options.endpointURL ?? url else {
      throw .eucaConfig("no ec2 url (set EC2_URL or ec2-url in a [region] section)")
    }
    var region = regionName
    // euca2ools 3 accepts EC2_URL as REGION::URL.
    if let r = url.range(of: "::") {
      if region == nil { region = String(url[url.startIndex..<r.lowerBound]) }
      url = String(url[r.upperBound...])
    }
    var regions = options.regions.map { r in r.split(separator: "@").last.map(String.init) ?? r }
    if regions.isEmpty { regions = [region ?? nonEmpty("EUCA_REGION") ?? "eucalyptus"] }
    let endpoint = try EC2Endpoint(url: url, region: regions[0], flavor: options.flavor ?? .eucalyptus)
    return CloudTarget(
      credentials: creds, endpoint: endpoint, regions: regions, usesAWSPublicEndpoints: false, source: source)
  }

  /// The euca2ools 3 configuration: every ini file merged, later files winning.
  func eucaIni() -> IniFile {
    var ini = IniFile()
    var paths = ["/etc/euca2ools/euca2ools.ini"]
    paths += files.list("/etc/euca2ools/conf.d").filter { $0.hasSuffix(".ini") }.sorted()
      .map { "/etc/euca2ools/conf.d/\($0)" }
    let userDir = expand("~/.euca")
    paths += files.list(userDir).filter { $0.hasSuffix(".ini") }.sorted().map { "\(userDir)/\($0)" }
    for path in paths {
      if let text = files.read(path) { ini.merge(IniFile(parsing: text)) }
    }
    return ini
  }

  func eucaIniTarget(options: Options) throws(CloudConfigError) -> CloudTarget? {
    let ini = eucaIni()
    let regionSections = ini.sections.keys.filter { $0.hasPrefix("region ") }.map { String($0.dropFirst(7)) }
    guard !regionSections.isEmpty else { return nil }
    // `--region USER@REGION` picks the user as euca2ools does.
    var userOverride: String?
    var wanted = options.regions.first
    if let w = wanted, let at = w.firstIndex(of: "@") {
      userOverride = String(w[w.startIndex..<at])
      wanted = String(w[w.index(after: at)...])
    }
    let name =
      wanted ?? nonEmpty("EUCA_REGION") ?? ini.value("global", "default-region")
      ?? (regionSections.count == 1 ? regionSections[0] : nil)
    guard let name else { throw .eucaConfig("several [region] sections and no default-region in [global]") }
    guard let region = ini.sections["region \(name)"] else { throw .eucaConfig("no [region \(name)] section") }
    guard let userName = userOverride ?? nonEmpty("EUCA_USER") ?? region["user"] else {
      throw .eucaConfig("[region \(name)] names no user")
    }
    guard let user = ini.sections["user \(userName)"], let id = user["key-id"], let secret = user["secret-key"] else {
      throw .eucaConfig("[user \(userName)] lacks key-id or secret-key")
    }
    var opts = options
    opts.regions = options.regions.isEmpty ? [name] : options.regions
    return try eucaTarget(
      AWSCredentials(accessKeyID: id, secretAccessKey: secret), url: nonEmpty("EC2_URL") ?? region["ec2-url"],
      regionName: name, options: opts, source: "euca2ools region \(name)")
  }

  /// Parses a eucarc: `export NAME=value` / `NAME="value"` lines; `${EUCA_KEY_DIR}` and `$EUCA_KEY_DIR` become the
  /// file's folder; anything else (command substitutions, conditionals) is ignored, never run.
  public static func parseEucarc(_ text: String, directory: String) -> [String: String] {
    var out: [String: String] = [:]
    for raw in text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
      var line = String(String(raw).trimmingSpaces)
      if line.hasPrefix("#") { continue }
      if line.hasPrefix("export ") { line = String(String(line.dropFirst(7)).trimmingSpaces) }
      guard let eq = line.firstIndex(of: "=") else { continue }
      let name = String(line[line.startIndex..<eq])
      guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { continue }
      var value = String(line[line.index(after: eq)...])
      if let q = value.first, q == "\"" || q == "'" {
        guard let close = value.dropFirst().firstIndex(of: q) else { continue }
        value = String(value[value.index(after: value.startIndex)..<close])
      } else if let space = value.firstIndex(where: { $0 == " " || $0 == ";" || $0 == "\t" }) {
        value = String(value[value.startIndex..<space])
      }
      if value.contains("$(") || value.contains("`") { continue }
      value = value.replacingAll("${EUCA_KEY_DIR}", with: directory).replacingAll("$EUCA_KEY_DIR", with: directory)
      out[name] = value
    }
    return out
  }

  func eucarcTarget(options: Options) throws(CloudConfigError) -> CloudTarget? {
    let candidates = [nonEmpty("EUCARC"), expand("~/.euca/eucarc"), expand("~/.eucarc")].compactMap { $0 }
    for path in candidates {
      guard let text = files.read(path) else { continue }
      let dir = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
      let vars = CloudConfigResolver.parseEucarc(text, directory: dir.isEmpty ? "." : dir)
      guard let id = vars["EC2_ACCESS_KEY"] ?? vars["AWS_ACCESS_KEY"],
        let secret = vars["EC2_SECRET_KEY"] ?? vars["AWS_SECRET_KEY"]
      else { continue }
      return try eucaTarget(
        AWSCredentials(accessKeyID: id, secretAccessKey: secret), url: vars["EC2_URL"], regionName: nil,
        options: options, source: "eucarc \(path)")
    }
    return nil
  }
}

extension String {
  func replacingAll(_ target: String, with replacement: String) -> String {
    guard !target.isEmpty else { return self }
    var out = ""
    var rest = self[...]
    while let r = rest.range(of: target) {
      out += rest[rest.startIndex..<r.lowerBound]
      out += replacement
      rest = rest[r.upperBound...]
    }
    return out + rest
  }
}
