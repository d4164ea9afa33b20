/**
 * `tokenrequest serve`: placeholder until the reference server lands; the server package's owner
 * replaces this file with the real command (flags of CONTRACT §3).
 *
 * @since 0.1.0
 */
export {}
