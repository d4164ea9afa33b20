/**
 * The Kubernetes static token file (`--token-auth-file`): CSV records `token,user,uid[,"group1,group2"]`,
 * read as kube-apiserver's `tokenfile.NewCSV` reads it (Go `encoding/csv`, at least three columns,
 * empty tokens skipped with a warning, the last duplicate wins).
 *
 * @since 0.1.0
 */
import * as Redacted from "effect/Redacted"
import { timingSafeEqual } from "node:crypto"
import type { UserInfo } from "@tokenrequest/domain/UserInfo"
import { perObject } from "./internal/perObject.js"

/**
 * One user of the token file.
 *
 * @since 0.1.0
 * @category models
 */
export interface TokenUser {
  readonly token: Redacted.Redacted<string>
  readonly user: UserInfo
}

/**
 * A parsed token file: its users (file order), and the warnings kube-apiserver would log.
 *
 * @since 0.1.0
 * @category models
 */
export interface TokenFile {
  readonly users: ReadonlyArray<TokenUser>
  readonly warnings: ReadonlyArray<string>
}

/**
 * Parses CSV text the way Go's `encoding/csv` does with `FieldsPerRecord = -1`: quoted fields may hold
 * commas, quotes (doubled) and newlines; blank lines are skipped; `\r\n` ends a record.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseCsv = (text: string): Array<Array<string>> | { readonly error: string } => {
  const records: Array<Array<string>> = []
  let line = 1
  let i = 0
  while (i < text.length) {
    if (text[i] === "\n" || (text[i] === "\r" && text[i + 1] === "\n")) {
      i += text[i] === "\r" ? 2 : 1
      line++
      continue
    }
    const record: Array<string> = []
    const recordLine = line
    for (;;) {
      let field = ""
      if (text[i] === '"') {
        i++
        for (;;) {
          if (i >= text.length) return { error: `record on line ${recordLine}: extraneous or missing " in quoted-field` }
          const c = text[i]!
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"'
              i += 2
              continue
            }
            i++
            break
          }
          if (c === "\n") line++
          field += c
          i++
        }
        if (i < text.length && text[i] !== "," && text[i] !== "\n" && !(text[i] === "\r" && text[i + 1] === "\n")) {
          return { error: `parse error on line ${line}: extraneous or missing " in quoted-field` }
        }
      } else {
        while (i < text.length && text[i] !== "," && text[i] !== "\n" && !(text[i] === "\r" && text[i + 1] === "\n")) {
          if (text[i] === '"') return { error: `parse error on line ${line}: bare " in non-quoted-field` }
          field += text[i]
          i++
        }
      }
      record.push(field)
      if (text[i] === ",") {
        i++
        continue
      }
      break
    }
    records.push(record)
  }
  return records
}

/**
 * Parses the token file text; `path` names the file in messages, exactly as upstream does.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (path: string, text: string): TokenFile | { readonly error: string } => {
  const records = parseCsv(text)
  if ("error" in records) return { error: records.error }
  const byToken = new Map<string, TokenUser>()
  const warnings: Array<string> = []
  let recordNumber = 0
  for (const record of records) {
    if (record.length < 3) {
      return {
        error: `token file '${path}' must have at least 3 columns (token, user name, user uid), found ${record.length}`
      }
    }
    recordNumber++
    const [token, username, uid] = record as [string, string, string]
    if (token === "") {
      warnings.push(`empty token has been found in token file '${path}', record number '${recordNumber}'`)
      continue
    }
    if (byToken.has(token)) {
      warnings.push(`duplicate token has been found in token file '${path}', record number '${recordNumber}'`)
      byToken.delete(token)
    }
    const groups = record.length >= 4 ? record[3]!.split(",").filter((g) => g !== "") : []
    byToken.set(token, {
      token: Redacted.make(token),
      user: { username, uid, ...(groups.length > 0 ? { groups } : {}) }
    })
  }
  return { users: [...byToken.values()], warnings }
}

/**
 * The user a bearer token belongs to, compared in constant time per entry.
 *
 * @since 0.1.0
 * @category lookups
 */
export const lookup = (file: TokenFile, token: string): UserInfo | undefined => {
  const presented = Buffer.from(token)
  let found: UserInfo | undefined
  for (const entry of file.users) {
    const known = bytesOf(entry)
    if (known.length === presented.length && timingSafeEqual(known, presented)) found = entry.user
  }
  return found
}

/** The UTF-8 bytes of each entry's token, encoded once. */
const bytesOf = perObject((entry: TokenUser): Buffer => Buffer.from(Redacted.value(entry.token)))
