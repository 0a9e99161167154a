"""Governance used by every later stage: keyed pseudonyms (`pseudonymise`), purposes of use and
the national data opt-out rule (`purpose`), disclosure control (`disclosure`), the
hash-chained audit log (`audit`), roles and the access matrix (`access`), accounts and sign-in
(`accounts`), and the one audited reader of the identifiable zone (`identifiable`)."""
