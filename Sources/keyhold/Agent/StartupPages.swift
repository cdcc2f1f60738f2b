#if canImport(Glibc)
  import Glibc
#endif

/// Gives back the memory the agent touched only while starting.
///
/// The keyhold binary maps the whole Swift runtime, Foundation and ICU because other commands need them; loading
/// them touches megabytes of their pages that a long-running agent never uses again. For every read-only file
/// mapping that holds no private (copy-on-write) page, `MADV_DONTNEED` drops our references to those pages: the
/// contents are the file's own, so any page the agent later uses is simply read back from the page cache. Freed
/// heap is returned with `malloc_trim`. Nothing else is touched: writable or modified mappings keep every page.
enum StartupPages {
  static func release() {
    guard let file = fopen("/proc/self/smaps", "r") else { return }
    defer { fclose(file) }
    var ranges: [(start: UInt, length: Int)] = []
    var current: (start: UInt, length: Int, eligible: Bool)? = nil
    var line = [CChar](repeating: 0, count: 4096)
    func finish() {
      if let c = current, c.eligible { ranges.append((c.start, c.length)) }
    }
    while fgets(&line, Int32(line.count), file) != nil {
      let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
      let fields = text.split(separator: " ", omittingEmptySubsequences: true)
      if let first = fields.first, first.contains("-"), fields.count >= 5, first.first?.isHexDigit == true,
        !first.hasSuffix(":")
      {
        finish()
        let bounds = first.split(separator: "-")
        guard bounds.count == 2, let lo = UInt(bounds[0], radix: 16), let hi = UInt(bounds[1], radix: 16) else {
          current = nil
          continue
        }
        let perms = fields[1]
        // A named file (not [heap], [stack], [vdso], anonymous), never writable.
        let path = fields.count >= 6 ? String(fields[5]).trimmingNewline : ""
        let eligible = path.hasPrefix("/") && !perms.contains("w")
        current = (lo, Int(hi - lo), eligible)
      } else if text.hasPrefix("Anonymous:"), fields.count >= 2, fields[1] != "0" {
        current?.eligible = false  // relocated or otherwise modified pages: keep the mapping whole
      }
    }
    finish()
    for r in ranges {
      _ = madvise(UnsafeMutableRawPointer(bitPattern: r.start), r.length, MADV_DONTNEED)
    }
    _ = glibcMallocTrim(0)
  }
}

/// glibc's `malloc_trim` (declared in <malloc.h>, which Swift's Glibc module does not import).
@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32

extension String {
  fileprivate var trimmingNewline: String { hasSuffix("\n") ? String(dropLast()) : self }
}
