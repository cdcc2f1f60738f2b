import KeyholdCrypto
import Testing

@testable import SSHKeys

/// A small deterministic PRNG (SplitMix64), so a failing mutation can be replayed from its seed.
struct SplitMix64: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9e37_79b9_7f4a_7c15
    var z = state
    z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
    z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
    return z ^ (z >> 31)
  }
}

/// Bounded randomized robustness: mutated and truncated versions of every vector must parse or throw, never trap.
/// (A trap would kill the test process; coverage-guided fuzzing of the same decoders is `make fuzz`.)
@Suite struct KeyFileFuzzTests {
  static let limits = KeyFile.Limits(maxBcryptRounds: 1, maxInputBytes: 1 << 20)

  static func corpus() throws -> [(String, [UInt8])] {
    var out: [(String, [UInt8])] = []
    for name in try Fixtures.list("keys") where !name.hasSuffix(".expect") {
      out.append((name, try Fixtures.bytes("keys/\(name)")))
    }
    for name in try Fixtures.list("wrappers") where !name.hasSuffix(".expect") {
      out.append((name, try Fixtures.bytes("wrappers/\(name)")))
    }
    return out
  }

  static func mutate(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
    var data = input
    let edits = Int.random(in: 1...4, using: &rng)
    for _ in 0..<edits {
      guard !data.isEmpty else { return data }
      let i = Int.random(in: 0..<data.count, using: &rng)
      switch Int.random(in: 0..<6, using: &rng) {
      case 0: data[i] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
      case 1: data[i] = UInt8.random(in: 0...255, using: &rng)
      case 2: data.removeSubrange(i...)
      case 3: data.remove(at: i)
      case 4: data.insert(UInt8.random(in: 0...255, using: &rng), at: i)
      default:
        let j = Int.random(in: i..<data.count, using: &rng)
        data.insert(contentsOf: data[i...j].prefix(64), at: Int.random(in: 0..<data.count, using: &rng))
      }
    }
    return data
  }

  /// Mutates beneath the armour: decode the PEM body, change the binary, armour it again. This reaches the
  /// OpenSSH and DER structure parsers, which text-level mutations mostly stop at the base64 layer.
  static func mutateBody(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8]? {
    guard let block = try? PEMFile.blocks(input).first else { return nil }
    var changed = block
    changed.body = mutate(block.body, &rng)
    guard !changed.body.isEmpty else { return nil }
    return changed.armoured()
  }

  @Test func mutatedVectorsParseOrThrowButNeverTrap() throws {
    var rng = SplitMix64(seed: 0x6b65_7968_6f6c_6421)
    let corpus = try Self.corpus()
    #expect(corpus.count > 50)
    var outcomes: [String: Int] = [:]
    let iterations = 3000
    for n in 0..<iterations {
      let (_, original) = corpus[n % corpus.count]
      let input: [UInt8]
      if n % 3 == 0, let deep = Self.mutateBody(original, &rng) {
        input = deep
      } else {
        input = Self.mutate(original, &rng)
      }
      do {
        _ = try KeyFile.parse(input, passphrase: { secret(vectorPassphrase) }, limits: Self.limits)
        outcomes["parsed", default: 0] += 1
      } catch let e as KeyError {
        outcomes[String(describing: e).prefix(while: { $0 != ":" }).description, default: 0] += 1
      }
    }
    // Every run ends in a value or a KeyError; most mutations must be caught as damage.
    #expect(outcomes.values.reduce(0, +) == iterations)
    #expect(outcomes.keys.contains { $0.hasPrefix("malformed") })
  }

  @Test func everyPrefixOfEveryVectorIsHandled() throws {
    var checked = 0
    for (name, data) in try Self.corpus() where data.count < 4096 && !name.contains("-enc") {
      var step = max(1, data.count / 64)
      if name.hasSuffix(".der") { step = 1 }
      for cut in stride(from: 0, to: data.count, by: step) {
        do {
          _ = try KeyFile.parse(Array(data[..<cut]), passphrase: nil as SecureBytes?, limits: Self.limits)
        } catch {
          // Damage is reported as damage, never as an internal crypto failure.
          if case .cryptoFailure = error { Issue.record("\(name) cut at \(cut): \(error)") }
          checked += 1
        }
      }
    }
    #expect(checked > 1000)
  }
}
