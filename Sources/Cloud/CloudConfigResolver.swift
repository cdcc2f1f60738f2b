/// Works out endpoint, credentials and regions the way users already configure the aws cli and euca2ools.
///
/// The environment and the file system come in as values (`env`, `home`, `files`); this type never reads the
/// process environment itself. Order (first match wins):
///
/// 1. `--profile P`: AWS profile P from `~/.aws/credentials` and `~/.aws/config` (the aws cli lets an explicit
///    profile beat the environment).
/// 2. `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SECURITY_TOKEN` / `AWS_SESSION_TOKEN`); an id without a
///    secret is an error, as in botocore. With no AWS endpoint configured and a euca2ools region selected whose
///    `ec2-url` is not AWS, these keys go to that URL, as euca2ools does.
/// 3. `EC2_ACCESS_KEY` + `EC2_SECRET_KEY` (euca2ools 2 / a sourced eucarc), endpoint `EC2_URL`, else the selected
///    euca2ools region's `ec2-url`.
/// 4. The AWS profile named by `AWS_PROFILE` / `AWS_DEFAULT_PROFILE`, else `default`, when it holds keys.
/// 5. euca2ools 3 ini files: `/etc/euca2ools/euca2ools.ini`, `/etc/euca2ools/conf.d/*.ini`, `~/.euca/*.ini`
///    (`[region N] ec2-url, user`; `[user N] key-id, secret-key`; `[global] default-region`; `*` wildcards), keys
///    from `AWS_CREDENTIAL_FILE` before the user section.
/// 6. `AWS_CREDENTIAL_FILE` with `EC2_URL`.
/// 7. A eucarc file (`~/.euca/eucarc`, `~/.eucarc`, or `EUCARC`), parsed line by line, never run.
///
/// AWS endpoint: `--endpoint`, `AWS_ENDPOINT_URL_EC2`, `AWS_ENDPOINT_URL`, the profile's `services` section
/// (`ec2 = endpoint_url = ...`), the profile's `endpoint_url`, else `https://ec2.<region>.amazonaws.com/`.
/// AWS region: `--region`, `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region`; none is `.noRegion`, even
/// with a custom endpoint (the aws cli's "You must specify a region").
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
    if let id = nonEmpty("AWS_ACCESS_KEY_ID") {
      // botocore's environment provider: an access key id without its secret is an error, not a reason to look
      // further (PartialCredentialsError). Its token names are AWS_SECURITY_TOKEN (legacy) then AWS_SESSION_TOKEN.
      guard let secret = nonEmpty("AWS_SECRET_ACCESS_KEY") else {
        throw .partialCredentials(source: "the environment", missing: "AWS_SECRET_ACCESS_KEY")
      }
      let creds = AWSCredentials(
        accessKeyID: id, secretAccessKey: secret,
        sessionToken: nonEmpty("AWS_SECURITY_TOKEN") ?? nonEmpty("AWS_SESSION_TOKEN"))
      // euca2ools 3 takes these keys too and pairs them with the ec2-url of its selected region; the aws cli
      // ignores euca2ools files. With no AWS endpoint configured, a euca2ools region that names a non-AWS ec2-url
      // is what the user means.
      if awsEndpointURL(settings: awsProfile(currentProfileName) ?? [:], options: options) == nil,
        let t = try eucaIniTarget(options: options, credentials: creds, source: "environment", onlyIfSelected: true)
      {
        return t
      }
      return try awsTarget(creds, profile: currentProfileName, options: options, source: "environment")
    }
    if let id = nonEmpty("EC2_ACCESS_KEY") ?? nonEmpty("AWS_ACCESS_KEY"),
      let secret = nonEmpty("EC2_SECRET_KEY") ?? nonEmpty("AWS_SECRET_KEY")
    {
      let creds = AWSCredentials(accessKeyID: id, secretAccessKey: secret)
      let source = "environment (EC2_ACCESS_KEY)"
      if options.endpointURL == nil && nonEmpty("EC2_URL") == nil,
        let t = try eucaIniTarget(options: options, credentials: creds, source: source, onlyIfSelected: false)
      {
        return t
      }
      return try eucaTarget(creds, url: nonEmpty("EC2_URL"), regionName: nil, options: options, source: source)
    }
    if let t = try awsProfileTarget(currentProfileName, options: options, required: false) { return t }
    if let t = try eucaIniTarget(options: options, credentials: nil, source: nil, onlyIfSelected: false) {
      return t
    }
    if let creds = credentialFileKeys(), options.endpointURL != nil || nonEmpty("EC2_URL") != nil {
      return try eucaTarget(
        creds, url: nonEmpty("EC2_URL"), regionName: nil, options: options, source: "AWS_CREDENTIAL_FILE")
    }
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
    guard let id = p["aws_access_key_id"], !id.isEmpty else {
      for setting in ["credential_process", "sso_session", "sso_start_url", "role_arn", "web_identity_token_file"]
      where p[setting] != nil {
        throw .unsupportedCredentialSource(profile: name, setting: setting)
      }
      if required { throw .noCredentials }
      return nil
    }
    // botocore's shared-credentials and config providers raise PartialCredentialsError for an id without a secret.
    guard let secret = p["aws_secret_access_key"], !secret.isEmpty else {
      throw .partialCredentials(source: "aws profile \(name)", missing: "aws_secret_access_key")
    }
    // botocore reads the token as `aws_security_token` (the legacy name, tried first) or `aws_session_token`.
    let token = [p["aws_security_token"], p["aws_session_token"]].compactMap { $0 }.first { !$0.isEmpty }
    let creds = AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: token)
    return try awsTarget(creds, profile: name, options: options, source: "aws profile \(name)")
  }

  /// The configured EC2 endpoint URL on the AWS side, if any: `--endpoint`, `AWS_ENDPOINT_URL_EC2`,
  /// `AWS_ENDPOINT_URL`, the profile's `services` section, the profile's `endpoint_url`.
  func awsEndpointURL(settings: [String: String], options: Options) -> String? {
    if let url = options.endpointURL { return url }
    if nonEmpty("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")?.lowercased() == "true" { return nil }
    if let url = nonEmpty("AWS_ENDPOINT_URL_EC2") ?? nonEmpty("AWS_ENDPOINT_URL") { return url }
    if let services = settings["services"], let url = awsConfig.value("services \(services)", "ec2.endpoint_url") {
      return url
    }
    return settings["endpoint_url"]
  }

  /// botocore's `validate_region_name`: a region must be a host label (letters, digits, inner hyphens, at most 63
  /// characters, not all digits).
  static func isValidRegionName(_ r: String) -> Bool {
    guard !r.isEmpty, r.utf8.count <= 63, r.first != "-", r.last != "-" else { return false }
    guard r.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else { return false }
    return !r.allSatisfy(\.isNumber)
  }

  func awsTarget(_ creds: AWSCredentials, profile: String, options: Options, source: String) throws(CloudConfigError)
    -> CloudTarget
  {
    let settings = awsProfile(profile) ?? [:]
    let url = awsEndpointURL(settings: settings, options: options)
    var regions = options.regions
    if regions.isEmpty {
      // The aws cli signs with no default region, custom endpoint or not: it stops with "You must specify a
      // region" (botocore's NoRegionError) rather than guess us-east-1.
      guard let r = nonEmpty("AWS_REGION") ?? nonEmpty("AWS_DEFAULT_REGION") ?? settings["region"], !r.isEmpty else {
        throw .noRegion
      }
      regions = [r]
    }
    for r in regions where !CloudConfigResolver.isValidRegionName(r) { throw .invalidRegion(r) }
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
    var regions = options.regions.compactMap { EucaConfig.parseRegion($0).region }
    if regions.isEmpty {
      regions = [region ?? nonEmpty("EUCA_DEFAULT_REGION") ?? nonEmpty("EUCA_REGION") ?? "eucalyptus"]
    }
    // euca2ools configuration usually means Eucalyptus, but its shipped aws.ini points at AWS itself.
    var flavor = options.flavor ?? .eucalyptus
    if options.flavor == nil, let e = try? EC2Endpoint(url: url, region: regions[0]), e.isAWSPublicHost {
      flavor = .aws
    }
    let endpoint = try EC2Endpoint(url: url, region: regions[0], flavor: flavor)
    return CloudTarget(
      credentials: creds, endpoint: endpoint, regions: regions, usesAWSPublicEndpoints: false, source: source)
  }

  /// The euca2ools 3 configuration: every ini file merged, later files winning.
  ///
  /// euca2ools reads them with Python 2's `ConfigParser`, where `;` after whitespace starts a comment.
  func eucaIni() -> IniFile {
    var ini = IniFile()
    var paths = ["/etc/euca2ools/euca2ools.ini"]
    paths += files.list("/etc/euca2ools/conf.d").filter { $0.hasSuffix(".ini") }.sorted()
      .map { "/etc/euca2ools/conf.d/\($0)" }
    let userDir = expand("~/.euca")
    paths += files.list(userDir).filter { $0.hasSuffix(".ini") }.sorted().map { "\(userDir)/\($0)" }
    for path in paths {
      if let text = files.read(path) { ini.merge(IniFile(parsing: text, inlineComments: .semicolonAfterWhitespace)) }
    }
    return ini
  }

  /// The keys in the file `AWS_CREDENTIAL_FILE` names, in the old AWS command line tools' format that euca2ools
  /// reads: `AWSAccessKeyId=...` and `AWSSecretKey=...` lines, anything after `#` ignored.
  func credentialFileKeys() -> AWSCredentials? {
    guard let path = nonEmpty("AWS_CREDENTIAL_FILE"), let text = files.read(expand(path)) else { return nil }
    var id: String?
    var secret: String?
    for raw in text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
      let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
      guard let eq = line.firstIndex(of: "=") else { continue }
      let key = String(line[line.startIndex..<eq]).trimmingSpaces
      let value = String(String(line[line.index(after: eq)...]).trimmingSpaces)
      if key == "AWSAccessKeyId", id == nil, !value.isEmpty { id = value }
      if key == "AWSSecretKey", secret == nil, !value.isEmpty { secret = value }
    }
    guard let id, let secret else { return nil }
    return AWSCredentials(accessKeyID: id, secretAccessKey: secret)
  }

  /// A target from the euca2ools 3 ini files, or nil when they hold no region.
  ///
  /// Region and user are chosen as euca2ools does: `--region [USER@][REGION]`, then `EUCA_DEFAULT_REGION` or
  /// `AWS_DEFAULT_REGION` (same form), then `default-region` in `[global]`; each source fills only what is still
  /// unset, and the user falls back to the region's `user` option. The URL is `--endpoint`, then `EC2_URL` (euca2ools
  /// lets the environment beat configuration files), then the region's `ec2-url`. Keys: `credentials` (from the
  /// environment), then `AWS_CREDENTIAL_FILE`, then the user section's `key-id` / `secret-key`.
  ///
  /// With `onlyIfSelected` (keys from the environment, where the aws cli's reading competes), nil unless a region
  /// was selected and its `ec2-url` is not an AWS public endpoint; `default-region` then counts only when neither
  /// `AWS_REGION` nor the AWS profile names a region.
  func eucaIniTarget(
    options: Options, credentials: AWSCredentials?, source: String?, onlyIfSelected: Bool
  ) throws(CloudConfigError) -> CloudTarget? {
    let config = EucaConfig(eucaIni())
    guard config.hasRegions else { return nil }
    var user: String?
    var name: String?
    func fill(_ s: String?) {
      guard let s else { return }
      let parsed = EucaConfig.parseRegion(s)
      if user == nil { user = parsed.user }
      if name == nil { name = parsed.region }
    }
    fill(options.regions.first)
    fill(nonEmpty("EUCA_DEFAULT_REGION") ?? nonEmpty("AWS_DEFAULT_REGION") ?? nonEmpty("EUCA_REGION"))
    // The ini's default-region only speaks for keys from the environment when the AWS side names no region of
    // its own (AWS_REGION, which euca2ools does not read, or the profile's `region`).
    let awsSideRegion = nonEmpty("AWS_REGION") ?? awsProfile(currentProfileName)?["region"]
    if !onlyIfSelected || awsSideRegion == nil { fill(config.globals["default-region"]) }
    if name == nil && !onlyIfSelected {
      let withURL = config.concreteRegionNames.filter { config.region($0, "ec2-url") != nil }
      if withURL.count == 1 { name = withURL[0] }
    }
    guard let name else {
      if onlyIfSelected { return nil }
      throw .eucaConfig("several [region] sections and no default-region in [global]")
    }
    let configuredURL = config.region(name, "ec2-url")
    if onlyIfSelected {
      guard let configuredURL, let e = try? EC2Endpoint(url: configuredURL.value, region: name), !e.isAWSPublicHost
      else { return nil }
    }
    let url = options.endpointURL ?? nonEmpty("EC2_URL") ?? configuredURL?.value
    guard let url else {
      if config.region(name, "user") == nil && !config.regions.keys.contains(where: { $0.hasSuffix(name) }) {
        throw .eucaConfig("no [region \(name)] section")
      }
      throw .eucaConfig("[region \(name)] has no ec2-url")
    }
    // The signing region: the section's `name` option, else the last part of the section name (`aws:eu-west-1`).
    var signingName = name.split(separator: ":").last.map(String.init) ?? name
    if let section = configuredURL?.section, section != "*", !section.contains("*") {
      signingName = config.regions[section]?["name"] ?? section.split(separator: ":").last.map(String.init) ?? name
    }
    var creds = credentials ?? credentialFileKeys()
    var from = source ?? (credentials == nil && creds != nil ? "AWS_CREDENTIAL_FILE" : nil)
    if creds == nil {
      guard let userName = user ?? nonEmpty("EUCA_USER") ?? config.region(name, "user")?.value else {
        throw .eucaConfig("[region \(name)] names no user")
      }
      guard let id = config.user(userName, "key-id"), let secret = config.user(userName, "secret-key") else {
        throw .eucaConfig("[user \(userName)] lacks key-id or secret-key")
      }
      creds = AWSCredentials(accessKeyID: id, secretAccessKey: secret)
      from = nil
    }
    var opts = options
    let explicit = options.regions.compactMap { EucaConfig.parseRegion($0).region }
    opts.regions =
      explicit.isEmpty ? [signingName] : explicit.map { $0.split(separator: ":").last.map(String.init) ?? $0 }
    let label = "euca2ools region \(name)" + (from.map { " with keys from \($0)" } ?? "")
    return try eucaTarget(creds!, url: url, regionName: signingName, options: opts, source: label)
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
