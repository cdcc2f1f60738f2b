import Cloud
import Foundation
import TestSupport
import Testing

/// Resolution tables run against real files in a temporary HOME (and an in-memory /etc for euca2ools).
struct CloudConfigResolverTests {
  /// Writes `files` (paths relative to a fresh temporary home) and returns the home path.
  static func home(_ files: [String: String]) throws -> String {
    let dir = URL(fileURLWithPath: TemporaryTree.make("keyhold-home"), isDirectory: true)
    for (path, text) in files {
      let url = dir.appendingPathComponent(path)
      try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try Data(text.utf8).write(to: url)
    }
    return dir.path
  }

  /// Local files, plus `/etc/...` paths served from `etc`.
  static func files(etc: [String: String] = [:]) -> ConfigFiles {
    let local = ConfigFiles.local
    let mem = ConfigFiles.memory(etc)
    return ConfigFiles(
      read: { $0.hasPrefix("/etc/") ? mem.read($0) : local.read($0) },
      list: { $0.hasPrefix("/etc/") ? mem.list($0) : local.list($0) })
  }

  static let awsFiles = [
    ".aws/credentials": """
    [default]
    aws_access_key_id = AKIDDEFAULT
    aws_secret_access_key = secretdefault

    [work]
    aws_access_key_id=AKIDWORK
    aws_secret_access_key=secretwork
    aws_session_token = tokenwork
    """,
    ".aws/config": """
    # comment
    [default]
    region = eu-west-1

    [profile work]
    region = ap-south-1
    services = local-moto

    [profile plain]
    region = us-west-2
    endpoint_url = http://10.0.0.1:5000
    aws_access_key_id = AKIDPLAIN
    aws_secret_access_key = secretplain

    [profile sso]
    sso_session = corp
    region = us-east-1

    [services local-moto]
    ec2 =
      endpoint_url = http://127.0.0.1:5000
    """,
  ]

  struct Case: Sendable, CustomTestStringConvertible {
    let name: String
    var env: [String: String] = [:]
    var options = CloudConfigResolver.Options()
    let key: String
    let url: String
    let regions: [String]
    var flavor: CloudFlavor = .aws
    var token: String? = nil
    var testDescription: String { name }
  }

  static let awsCases: [Case] = [
    Case(
      name: "default profile", key: "AKIDDEFAULT", url: "https://ec2.eu-west-1.amazonaws.com/", regions: ["eu-west-1"]),
    Case(
      name: "AWS_PROFILE with services endpoint", env: ["AWS_PROFILE": "work"], key: "AKIDWORK",
      url: "http://127.0.0.1:5000/", regions: ["ap-south-1"], token: "tokenwork"),
    Case(
      name: "--profile beats env keys", env: ["AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "s"],
      options: .init(profile: "plain"), key: "AKIDPLAIN", url: "http://10.0.0.1:5000/", regions: ["us-west-2"]),
    Case(
      name: "env keys beat profile",
      env: [
        "AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "s",
        "AWS_SESSION_TOKEN": "t",
      ], key: "AKIDENV", url: "https://ec2.eu-west-1.amazonaws.com/", regions: ["eu-west-1"],
      token: "t"),
    Case(
      name: "AWS_REGION beats AWS_DEFAULT_REGION and profile",
      env: ["AWS_REGION": "us-east-2", "AWS_DEFAULT_REGION": "us-west-1"], key: "AKIDDEFAULT",
      url: "https://ec2.us-east-2.amazonaws.com/", regions: ["us-east-2"]),
    Case(
      name: "AWS_DEFAULT_REGION", env: ["AWS_DEFAULT_REGION": "us-west-1"], key: "AKIDDEFAULT",
      url: "https://ec2.us-west-1.amazonaws.com/", regions: ["us-west-1"]),
    Case(
      name: "AWS_ENDPOINT_URL_EC2 beats AWS_ENDPOINT_URL",
      env: ["AWS_ENDPOINT_URL_EC2": "http://ec2.local:4566", "AWS_ENDPOINT_URL": "http://all.local"],
      key: "AKIDDEFAULT", url: "http://ec2.local:4566/", regions: ["eu-west-1"]),
    Case(
      name: "AWS_ENDPOINT_URL", env: ["AWS_ENDPOINT_URL": "http://all.local"], key: "AKIDDEFAULT",
      url: "http://all.local/", regions: ["eu-west-1"]),
    Case(
      name: "ignore configured endpoints",
      env: [
        "AWS_PROFILE": "work", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true",
        "AWS_ENDPOINT_URL": "http://all.local",
      ], key: "AKIDWORK", url: "https://ec2.ap-south-1.amazonaws.com/",
      regions: ["ap-south-1"], token: "tokenwork"),
    Case(
      name: "--endpoint and --region beat everything", env: ["AWS_ENDPOINT_URL": "http://all.local"],
      options: .init(endpointURL: "http://127.0.0.1:7000", regions: ["r1", "r2"]), key: "AKIDDEFAULT",
      url: "http://127.0.0.1:7000/", regions: ["r1", "r2"]),
    Case(
      name: "--endpoint with eucalyptus path", options: .init(endpointURL: "http://c:8773/services/compute"),
      key: "AKIDDEFAULT", url: "http://c:8773/services/compute", regions: ["eu-west-1"], flavor: .eucalyptus),
  ]

  @Test(arguments: awsCases) func resolvesAWSConfiguration(_ c: Case) throws {
    let home = try Self.home(Self.awsFiles)
    let t = try CloudConfigResolver(env: c.env, home: home, files: Self.files()).resolve(c.options)
    #expect(t.credentials.accessKeyID == c.key)
    #expect(t.credentials.sessionToken == c.token)
    #expect(t.endpoint.url == c.url)
    #expect(t.regions == c.regions)
    #expect(t.endpoint.flavor == c.flavor)
  }

  @Test func awsFileLocationsComeFromTheEnvironment() throws {
    let home = try Self.home([
      "elsewhere/creds": "[default]\naws_access_key_id=AKIDX\naws_secret_access_key=s\n",
      "elsewhere/conf": "[default]\nregion=sa-east-1\n",
    ])
    let env = ["AWS_SHARED_CREDENTIALS_FILE": home + "/elsewhere/creds", "AWS_CONFIG_FILE": home + "/elsewhere/conf"]
    let t = try CloudConfigResolver(env: env, home: home, files: Self.files()).resolve()
    #expect(t.credentials.accessKeyID == "AKIDX")
    #expect(t.regions == ["sa-east-1"])
    #expect(t.endpoint(for: "eu-north-1").host == "ec2.eu-north-1.amazonaws.com")
  }

  @Test func errorsAreSpecific() throws {
    let home = try Self.home(Self.awsFiles)
    let r = CloudConfigResolver(env: [:], home: home, files: Self.files())
    #expect(throws: CloudConfigError.profileNotFound("nope")) { try r.resolve(.init(profile: "nope")) }
    #expect(throws: CloudConfigError.unsupportedCredentialSource(profile: "sso", setting: "sso_session")) {
      try r.resolve(.init(profile: "sso"))
    }
    let empty = CloudConfigResolver(env: [:], home: try Self.home([:]), files: Self.files())
    #expect(throws: CloudConfigError.noCredentials) { try empty.resolve() }
    let noRegion = CloudConfigResolver(
      env: ["AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"], home: try Self.home([:]), files: Self.files())
    #expect(throws: CloudConfigError.noRegion) { try noRegion.resolve() }
    #expect(throws: CloudConfigError.invalidURL("ftp://x")) { try r.resolve(.init(endpointURL: "ftp://x")) }
    #expect(CloudConfigError.noCredentials.hint != nil)
  }

  static let eucaEtc = [
    "/etc/euca2ools/euca2ools.ini": """
    [global]
    default-region = cloud1

    [region cloud1]
    ec2-url = http://cloud1.example:8773/services/compute
    user = alice

    [region cloud2]
    ec2-url = https://compute.cloud2.example/
    user = bob
    """,
    "/etc/euca2ools/conf.d/users.ini": """
    [user alice]
    key-id = AKIALICE
    secret-key = secretalice

    [user bob]
    key-id = AKIBOB
    secret-key = secretbob
    """,
  ]

  @Test func euca2oolsIniFilesGiveRegionUserAndURL() throws {
    let home = try Self.home([".euca/mine.ini": "[user alice]\nkey-id = AKIALICE2\nsecret-key = s2\n"])
    let r = CloudConfigResolver(env: [:], home: home, files: Self.files(etc: Self.eucaEtc))
    let t = try r.resolve()
    #expect(t.credentials.accessKeyID == "AKIALICE2")  // ~/.euca overrides /etc
    #expect(t.endpoint.url == "http://cloud1.example:8773/services/compute")
    #expect(t.endpoint.flavor == .eucalyptus)
    #expect(t.regions == ["cloud1"])
    let bob = try r.resolve(.init(regions: ["cloud2"]))
    #expect(bob.credentials.accessKeyID == "AKIBOB")
    #expect(bob.endpoint.host == "compute.cloud2.example")
    #expect(bob.endpoint.flavor == .eucalyptus)  // euca2ools configuration means Eucalyptus
    let aliceOn2 = try r.resolve(.init(regions: ["alice@cloud2"]))
    #expect(aliceOn2.credentials.accessKeyID == "AKIALICE2")
    #expect(aliceOn2.regions == ["cloud2"])
    #expect(throws: CloudConfigError.eucaConfig("no [region nowhere] section")) {
      try r.resolve(.init(regions: ["nowhere"]))
    }
  }

  @Test func ec2URLWithRegionPrefixAndEnvKeys() throws {
    let env = [
      "EC2_ACCESS_KEY": "AKIENV", "EC2_SECRET_KEY": "s", "EC2_URL": "east::http://10.1.1.1:8773/services/compute",
    ]
    let t = try CloudConfigResolver(env: env, home: try Self.home([:]), files: Self.files()).resolve()
    #expect(t.credentials.accessKeyID == "AKIENV")
    #expect(t.regions == ["east"])
    #expect(t.endpoint.url == "http://10.1.1.1:8773/services/compute")
    #expect(t.endpoint.flavor == .eucalyptus)
  }

  @Test func eucarcIsParsedNotRun() throws {
    let rc = """
      EUCA_KEY_DIR=$(cd $(dirname ${BASH_SOURCE:-$0}); pwd -P)
      export EC2_URL=http://192.168.1.10:8773/services/compute
      export EC2_ACCESS_KEY='AKIRC'
      export EC2_SECRET_KEY="secret rc"
      export EC2_CERT=${EUCA_KEY_DIR}/euca2-admin-cert.pem
      touch /tmp/keyhold-eucarc-was-run
      """
    let home = try Self.home([".euca/eucarc": rc])
    let t = try CloudConfigResolver(env: [:], home: home, files: Self.files()).resolve()
    #expect(t.credentials.accessKeyID == "AKIRC")
    #expect(t.credentials.secretAccessKey == "secret rc")
    #expect(t.endpoint.port == 8773)
    #expect(!FileManager.default.fileExists(atPath: "/tmp/keyhold-eucarc-was-run"))
    let vars = CloudConfigResolver.parseEucarc(rc, directory: "/k")
    #expect(vars["EC2_CERT"] == "/k/euca2-admin-cert.pem")
    #expect(vars["EUCA_KEY_DIR"] == nil)
  }

  @Test func endpointURLParsing() throws {
    let e = try EC2Endpoint(url: "HTTP://[::1]:5000/x?y", region: "r")
    #expect(e.host == "[::1]")
    #expect(e.port == 5000)
    #expect(e.path == "/x")
    #expect(try EC2Endpoint(url: "example.com", region: "r").url == "https://example.com/")
    #expect(try EC2Endpoint(url: "https://h:443/", region: "r").hostHeader == "h")
    #expect(throws: CloudConfigError.invalidURL("http://h:99999")) {
      try EC2Endpoint(url: "http://h:99999", region: "r")
    }
    #expect(throws: CloudConfigError.invalidURL("http://")) { try EC2Endpoint(url: "http://", region: "r") }
  }
}

/// The cases where the aws cli and euca2ools have a precise answer that is easy to get wrong.
struct CloudConfigPrecedenceTests {
  static func resolver(env: [String: String] = [:], home: [String: String] = [:], etc: [String: String] = [:])
    throws -> CloudConfigResolver
  {
    CloudConfigResolver(
      env: env, home: try CloudConfigResolverTests.home(home), files: CloudConfigResolverTests.files(etc: etc))
  }

  static let etc = CloudConfigResolverTests.eucaEtc

  /// euca2ools(7): "Environment variables take precedence over configuration file data"; requestbuilder takes the
  /// URL from `-U`, then `EC2_URL`, and only then from the region section's `ec2-url`. `--region` still chooses the
  /// section that names the user, so the keys are that region's user's.
  @Test func ec2URLBeatsTheRegionSectionURLButTheSectionStillPicksTheUser() throws {
    let r = try Self.resolver(env: ["EC2_URL": "http://other.example:8773/services/compute"], etc: Self.etc)
    let t = try r.resolve(.init(regions: ["cloud2"]))
    #expect(t.endpoint.url == "http://other.example:8773/services/compute")
    #expect(t.credentials.accessKeyID == "AKIBOB")
    #expect(t.regions == ["cloud2"])
    // `--endpoint` is euca2ools' `-U`: above EC2_URL.
    let u = try r.resolve(.init(endpointURL: "http://u.example:8773/services/compute", regions: ["cloud2"]))
    #expect(u.endpoint.host == "u.example")
  }

  /// euca2ools.ini(5): EUCA_DEFAULT_REGION and AWS_DEFAULT_REGION select `[USER@]REGION` like `--region`, with
  /// lower priority; EUCA_DEFAULT_REGION is read first.
  @Test func defaultRegionVariablesSelectARegionSection() throws {
    let bob = try Self.resolver(env: ["AWS_DEFAULT_REGION": "cloud2"], etc: Self.etc).resolve()
    #expect(bob.credentials.accessKeyID == "AKIBOB")
    #expect(bob.endpoint.host == "compute.cloud2.example")
    let both = try Self.resolver(
      env: ["EUCA_DEFAULT_REGION": "cloud1", "AWS_DEFAULT_REGION": "cloud2"], etc: Self.etc
    ).resolve()
    #expect(both.endpoint.host == "cloud1.example")
    let aliceOn2 = try Self.resolver(env: ["AWS_DEFAULT_REGION": "alice@cloud2"], etc: Self.etc).resolve()
    #expect(aliceOn2.credentials.accessKeyID == "AKIALICE")
    #expect(aliceOn2.endpoint.host == "compute.cloud2.example")
    // `--region` beats the variable.
    let cli = try Self.resolver(env: ["AWS_DEFAULT_REGION": "cloud2"], etc: Self.etc).resolve(
      .init(regions: ["cloud1"]))
    #expect(cli.credentials.accessKeyID == "AKIALICE")
  }

  /// requestbuilder takes keys from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or AWS_ACCESS_KEY / AWS_SECRET_KEY)
  /// before the user section, and the URL from the selected region's `ec2-url`.
  @Test func environmentKeysCombineWithTheIniEc2URL() throws {
    let env = ["AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "s"]
    let t = try Self.resolver(env: env, etc: Self.etc).resolve()
    #expect(t.credentials.accessKeyID == "AKIDENV")
    #expect(t.endpoint.url == "http://cloud1.example:8773/services/compute")
    #expect(t.endpoint.flavor == .eucalyptus)
    #expect(t.regions == ["cloud1"])
    let chosen = try Self.resolver(env: env, etc: Self.etc).resolve(.init(regions: ["cloud2"]))
    #expect(chosen.credentials.accessKeyID == "AKIDENV")
    #expect(chosen.endpoint.host == "compute.cloud2.example")
    // An AWS endpoint configured on the AWS side keeps the aws cli's meaning.
    var aws = env
    aws["AWS_ENDPOINT_URL"] = "http://127.0.0.1:5000"
    aws["AWS_REGION"] = "us-east-1"
    let moto = try Self.resolver(env: aws, etc: Self.etc).resolve()
    #expect(moto.endpoint.url == "http://127.0.0.1:5000/")
    #expect(moto.endpoint.flavor == .aws)
    // The ini's default-region does not override a region the AWS side names (AWS_REGION is not read by
    // euca2ools), so the aws cli's meaning stands.
    let awsRegion = try Self.resolver(env: env.merging(["AWS_REGION": "eu-west-1"]) { a, _ in a }, etc: Self.etc)
      .resolve()
    #expect(awsRegion.endpoint.url == "https://ec2.eu-west-1.amazonaws.com/")
    #expect(awsRegion.usesAWSPublicEndpoints)
    // euca2ools 2 variables without EC2_URL find the URL the same way.
    let old = try Self.resolver(env: ["EC2_ACCESS_KEY": "AKIOLD", "EC2_SECRET_KEY": "s"], etc: Self.etc).resolve()
    #expect(old.credentials.accessKeyID == "AKIOLD")
    #expect(old.endpoint.host == "cloud1.example")
  }

  /// euca2ools.ini(5): `*` sections are fallbacks for more specific names, a bare name finds its one prefixed
  /// section (`eu-west-1` → `aws:eu-west-1`), and `use SECTION` reads the option from another section.
  @Test func wildcardRegionSectionsApplyToEveryRegion() throws {
    let etc = [
      "/etc/euca2ools/euca2ools.ini": """
      [region *]
      user = carol

      [region east]
      ec2-url = http://east.example:8773/services/compute

      [region aws:*]
      user = dave

      [region aws:eu-west-1]
      ec2-url = https://ec2.eu-west-1.amazonaws.com/

      [region aws:eu-west-2]
      ec2-url = use aws:eu-west-1

      [user carol]
      key-id = AKICAROL
      secret-key = sc

      [user dave]
      key-id = AKIDAVE
      secret-key = sd
      """
    ]
    let r = try Self.resolver(etc: etc)
    let east = try r.resolve(.init(regions: ["east"]))
    #expect(east.credentials.accessKeyID == "AKICAROL")
    #expect(east.endpoint.flavor == .eucalyptus)
    let aws = try r.resolve(.init(regions: ["eu-west-1"]))
    #expect(aws.credentials.accessKeyID == "AKIDAVE")  // aws:* beats *
    #expect(aws.endpoint.url == "https://ec2.eu-west-1.amazonaws.com/")
    #expect(aws.endpoint.flavor == .aws)  // euca2ools' own aws.ini points at AWS, not Eucalyptus
    #expect(aws.regions == ["eu-west-1"])
    let redirected = try r.resolve(.init(regions: ["aws:eu-west-2"]))
    #expect(redirected.endpoint.host == "ec2.eu-west-1.amazonaws.com")
    #expect(redirected.credentials.accessKeyID == "AKIDAVE")
  }

  /// requestbuilder reads AWS_CREDENTIAL_FILE (`AWSAccessKeyId=` / `AWSSecretKey=` lines, `#` starts a comment)
  /// after the environment's keys and before the user section.
  @Test func awsCredentialFileIsRead() throws {
    let file = "# old AWS tools\nAWSAccessKeyId=AKICREDFILE  # mine\nAWSSecretKey = secret#1\n"
    let home = ["cred.txt": file]
    let dir = try CloudConfigResolverTests.home(home)
    let env = ["AWS_CREDENTIAL_FILE": dir + "/cred.txt", "EC2_URL": "http://10.0.0.9:8773/services/compute"]
    let plain = try CloudConfigResolver(env: env, home: dir, files: CloudConfigResolverTests.files()).resolve()
    #expect(plain.credentials.accessKeyID == "AKICREDFILE")
    #expect(plain.credentials.secretAccessKey == "secret")
    #expect(plain.endpoint.host == "10.0.0.9")
    // With ini files: the file's keys beat the region's user.
    let withIni = try CloudConfigResolver(
      env: ["AWS_CREDENTIAL_FILE": dir + "/cred.txt"], home: dir, files: CloudConfigResolverTests.files(etc: Self.etc)
    ).resolve()
    #expect(withIni.credentials.accessKeyID == "AKICREDFILE")
    #expect(withIni.endpoint.host == "cloud1.example")
  }

  /// botocore's environment provider raises PartialCredentialsError when AWS_ACCESS_KEY_ID is set and
  /// AWS_SECRET_ACCESS_KEY is not; the shared-credentials provider does the same for a profile.
  @Test func accessKeyIDWithoutSecretIsAPartialCredentialsError() throws {
    let env = try Self.resolver(env: ["AWS_ACCESS_KEY_ID": "AKIDLONE", "AWS_REGION": "us-east-1"])
    #expect(
      throws: CloudConfigError.partialCredentials(source: "the environment", missing: "AWS_SECRET_ACCESS_KEY")
    ) { try env.resolve() }
    let profile = try Self.resolver(home: [".aws/credentials": "[default]\naws_access_key_id = AKIDLONE\n"])
    #expect(
      throws: CloudConfigError.partialCredentials(source: "aws profile default", missing: "aws_secret_access_key")
    ) { try profile.resolve() }
    #expect(CloudConfigError.partialCredentials(source: "x", missing: "Y").hint?.contains("Y") == true)
  }

  /// botocore accepts `aws_security_token` as the legacy name of the session token in both files.
  @Test func awsSecurityTokenIsReadAsTheSessionToken() throws {
    let creds = "[default]\naws_access_key_id = AKIDTOK\naws_secret_access_key = s\naws_security_token = legacy\n"
    let t = try Self.resolver(home: [".aws/credentials": creds, ".aws/config": "[default]\nregion = us-west-2\n"])
      .resolve()
    #expect(t.credentials.sessionToken == "legacy")
    let config =
      "[profile p]\nregion = us-west-2\naws_access_key_id = A\naws_secret_access_key = s\n"
      + "aws_security_token = fromconfig\n"
    let p = try Self.resolver(home: [".aws/config": config]).resolve(.init(profile: "p"))
    #expect(p.credentials.sessionToken == "fromconfig")
  }

  /// botocore parses with Python 3's `RawConfigParser()`: no inline comments, so `region = eu-west-1 # work` is
  /// that whole string, which `validate_region_name` refuses (InvalidRegionError). euca2ools parses with Python 2's
  /// `ConfigParser`, which ends a value at a `;` that follows whitespace, and keeps `#`.
  @Test func inlineCommentsAreStrippedOnlyWhereTheReaderStripsThem() throws {
    let config = "[default]\nregion = eu-west-1 # work\n"
    let creds = "[default]\naws_access_key_id = AKID ; x\naws_secret_access_key = a;b # c\n"
    let r = try Self.resolver(home: [".aws/config": config, ".aws/credentials": creds])
    #expect(throws: CloudConfigError.invalidRegion("eu-west-1 # work")) { try r.resolve() }
    let t = try r.resolve(.init(regions: ["eu-west-1"]))
    #expect(t.credentials.accessKeyID == "AKID ; x")
    #expect(t.credentials.secretAccessKey == "a;b # c")
    #expect(CloudConfigError.invalidRegion("x").hint?.contains("line of their own") == true)

    let ini = IniFile(
      parsing: "[region a]\nec2-url = http://a/x ; the cloud\nkey = a;b\nother = http://h/#frag\n\t; indented\n",
      inlineComments: .semicolonAfterWhitespace)
    #expect(ini.value("region a", "ec2-url") == "http://a/x")
    #expect(ini.value("region a", "key") == "a;b")
    #expect(ini.value("region a", "other") == "http://h/#frag")
    #expect(IniFile(parsing: "[s]\nk = v ; c\n").value("s", "k") == "v ; c")
  }

  /// The aws cli stops with "You must specify a region" (botocore's NoRegionError) even with a custom endpoint;
  /// keyhold must not quietly sign for us-east-1.
  @Test func noRegionAnywhereIsAnErrorWithAHint() throws {
    let keys = ["AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"]
    let custom = try Self.resolver(env: keys.merging(["AWS_ENDPOINT_URL": "http://127.0.0.1:5000"]) { a, _ in a })
    #expect(throws: CloudConfigError.noRegion) { try custom.resolve() }
    #expect(throws: CloudConfigError.noRegion) {
      try Self.resolver(env: keys).resolve(.init(endpointURL: "http://127.0.0.1:5000"))
    }
    let hint = try #require(CloudConfigError.noRegion.hint)
    #expect(hint.contains("--region") && hint.contains("AWS_REGION") && hint.contains("~/.aws/config"))
    #expect(try custom.resolve(.init(regions: ["us-east-1"])).regions == ["us-east-1"])
  }
}
