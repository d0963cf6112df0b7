/**
 * The keywords OpenSSH 9.2p1 (Debian) ssh accepts in ssh_config, from readconf.c's `keywords[]`
 * table (checked against `ssh -G -o 'keyword x'` on the oracle). A keyword outside this set is
 * "Bad configuration option" unless IgnoreUnknown covers it.
 */
export const KNOWN_KEYWORDS: ReadonlySet<string> = new Set([
  'addkeystoagent', 'addressfamily', 'afstokenpassing', 'batchmode', 'bindaddress', 'bindinterface',
  'canonicaldomains', 'canonicalizefallbacklocal', 'canonicalizehostname', 'canonicalizemaxdots',
  'canonicalizepermittedcnames', 'casignaturealgorithms', 'certificatefile', 'challengeresponseauthentication',
  'checkhostip', 'cipher', 'ciphers', 'clearallforwardings', 'compression', 'compressionlevel',
  'connectionattempts', 'connecttimeout', 'controlmaster', 'controlpath', 'controlpersist',
  'dsaauthentication', 'dynamicforward', 'enableescapecommandline', 'enablesshkeysign', 'escapechar',
  'exitonforwardfailure', 'fallbacktorsh', 'fingerprinthash', 'forkafterauthentication', 'forwardagent',
  'forwardx11', 'forwardx11timeout', 'forwardx11trusted', 'gatewayports', 'globalknownhostsfile',
  'globalknownhostsfile2', 'gssapiauthentication', 'gssapiclientidentity', 'gssapidelegatecredentials',
  'gssapikexalgorithms', 'gssapikeyexchange', 'gssapirenewalforcesrekey', 'gssapiserveridentity',
  'gssapitrustdns', 'hashknownhosts', 'host', 'hostbasedacceptedalgorithms', 'hostbasedauthentication',
  'hostbasedkeytypes', 'hostkeyalgorithms', 'hostkeyalias', 'hostname', 'identitiesonly', 'identityagent',
  'identityfile', 'identityfile2', 'ignoreunknown', 'include', 'ipqos', 'kbdinteractiveauthentication',
  'kbdinteractivedevices', 'kerberosauthentication', 'kexalgorithms', 'kerberostgtpassing', 'knownhostscommand',
  'localcommand', 'localforward', 'loglevel', 'logverbose', 'macs', 'match', 'nohostauthenticationforlocalhost',
  'numberofpasswordprompts', 'passwordauthentication', 'permitlocalcommand', 'permitremoteopen',
  'pkcs11provider', 'port', 'preferredauthentications', 'protocol', 'protocolkeepalives', 'proxycommand',
  'proxyjump', 'proxyusefdpass', 'pubkeyacceptedalgorithms', 'pubkeyacceptedkeytypes', 'pubkeyauthentication',
  'rekeylimit', 'remotecommand', 'remoteforward', 'requesttty', 'requiredrsasize', 'revokedhostkeys',
  'rhostsauthentication', 'rhostsrsaauthentication', 'securitykeyprovider', 'sendenv', 'serveralivecountmax',
  'serveraliveinterval', 'sessiontype', 'setenv', 'setuptimeout', 'skeyauthentication', 'smartcarddevice',
  'stdinnull', 'streamlocalbindmask', 'streamlocalbindunlink', 'stricthostkeychecking', 'syslogfacility',
  'tcpkeepalive', 'tisauthentication', 'tunnel', 'tunneldevice', 'updatehostkeys', 'useblacklistedkeys',
  'useprivilegedport', 'user', 'userknownhostsfile', 'userknownhostsfile2', 'useroaming', 'usersh',
  'verifyhostkeydns', 'visualhostkey', 'xauthlocation',
]);

/**
 * Key types and signature algorithms OpenSSH 9.2 knows (`ssh -Q key-sig`, in that order: the
 * order in which a pattern in HostKeyAlgorithms expands).
 */
export const ALL_KEY_ALGORITHMS: readonly string[] = [
  'ssh-ed25519', 'ssh-ed25519-cert-v01@openssh.com', 'sk-ssh-ed25519@openssh.com', 'sk-ssh-ed25519-cert-v01@openssh.com',
  'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp256-cert-v01@openssh.com', 'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp384-cert-v01@openssh.com', 'ecdsa-sha2-nistp521', 'ecdsa-sha2-nistp521-cert-v01@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com', 'sk-ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'webauthn-sk-ecdsa-sha2-nistp256@openssh.com', 'ssh-dss', 'ssh-dss-cert-v01@openssh.com', 'ssh-rsa',
  'ssh-rsa-cert-v01@openssh.com', 'rsa-sha2-256', 'rsa-sha2-256-cert-v01@openssh.com', 'rsa-sha2-512',
  'rsa-sha2-512-cert-v01@openssh.com',
];

/** OpenSSH 9.2's default HostKeyAlgorithms (myproposal.h KEX_DEFAULT_PK_ALG), as `ssh -G` prints it. */
export const DEFAULT_HOST_KEY_ALGORITHMS: readonly string[] = [
  'ssh-ed25519-cert-v01@openssh.com', 'ecdsa-sha2-nistp256-cert-v01@openssh.com', 'ecdsa-sha2-nistp384-cert-v01@openssh.com',
  'ecdsa-sha2-nistp521-cert-v01@openssh.com', 'sk-ssh-ed25519-cert-v01@openssh.com', 'sk-ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'rsa-sha2-512-cert-v01@openssh.com', 'rsa-sha2-256-cert-v01@openssh.com', 'ssh-ed25519', 'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'sk-ssh-ed25519@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com',
  'rsa-sha2-512', 'rsa-sha2-256',
];
