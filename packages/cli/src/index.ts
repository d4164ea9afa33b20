/**
 * @tokenrequest/cli: the tokenrequest command line.
 *
 * @since 0.1.0
 */
export * as Cli from "./Cli.js"
export * as CommandError from "./CommandError.js"
export * as ConfigFlags from "./ConfigFlags.js"
export * as CreateCommand from "./CreateCommand.js"
export * as DecodeCommand from "./DecodeCommand.js"
export * as KeysCommand from "./KeysCommand.js"
export * as Kubeconfig from "./Kubeconfig.js"
export * as RestClient from "./RestClient.js"
export * as ReviewCommand from "./ReviewCommand.js"
export * as ServeCommand from "./ServeCommand.js"
