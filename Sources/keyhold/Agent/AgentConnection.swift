import AgentServer
import SSHWire

#if canImport(Glibc)
  import Glibc
#endif

/// Reaching the agent named by SSH_AUTH_SOCK, for `keyhold unlock` and `keyhold lock`.
enum AgentConnection {
  static func connect() throws -> AgentClient {
    guard let path = getenv("SSH_AUTH_SOCK").map({ String(cString: $0) }), !path.isEmpty else {
      throw CLIError("SSH_AUTH_SOCK is not set", hint: "start the agent first: eval \"$(keyhold agent -s)\"")
    }
    do { return try AgentClient(path: path) } catch {
      throw CLIError("\(error)", hint: "is `keyhold agent` running?")
    }
  }

  static func call(_ client: AgentClient, _ request: AgentRequest) throws -> AgentResponse {
    do { return try client.call(request) } catch { throw CLIError("\(error)") }
  }

  static let notKeyholdError = CLIError(
    "the agent refused the request",
    hint: "the agent may be locked (ssh-add -X), or SSH_AUTH_SOCK names an agent other than keyhold's")
}
