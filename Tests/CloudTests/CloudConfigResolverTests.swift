import Cloud
import Foundation
import Testing

/// Resolution tables run against real files in a temporary HOME (and an in-memory /etc for euca2ools).
struct CloudConfigResolverTests {
  /// Writes `files` (paths relative to a fresh temporary home) and returns the home path.
  static func home(_ files: [String: String]) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keyhold-home-\(UUID().uuidString)")
    for (path, text) in files {
      let url = dir.appendingPathComponent(path)
      try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try Data(text.utf8).write(to: url)
    }
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
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
