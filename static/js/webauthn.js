/**
 * WebAuthn in the browser: the server's options (JSON, binary fields in base64url) to the
 * objects navigator.credentials expects, and the credential back to JSON for the server
 * (the shape of PublicKeyCredential.toJSON(), written out so that older browsers work too).
 */

function fromB64url(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer;
}

function toB64url(buffer) {
  if (!buffer) return null;
  let text = "";
  for (const byte of new Uint8Array(buffer)) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const descriptors = (list) => (list || []).map((d) => ({ ...d, id: fromB64url(d.id) }));

/**
 * The server's options as a publicKey argument: the challenge, the user id (registration only)
 * and the credential list named `listField` (excludeCredentials or allowCredentials) decoded.
 */
function publicKeyOptions(options, listField) {
  const publicKey = { ...options, challenge: fromB64url(options.challenge), [listField]: descriptors(options[listField]) };
  if (options.user) publicKey.user = { ...options.user, id: fromB64url(options.user.id) };
  return publicKey;
}

/** The credential for the server, its response's binary fields (`fields`) in base64url. */
function credentialJSON(credential, fields, extra = {}) {
  const response = Object.fromEntries(fields.map((name) => [name, toB64url(credential.response[name])]));
  return {
    id: credential.id,
    rawId: toB64url(credential.rawId),
    type: credential.type,
    response: { ...response, ...extra },
    clientExtensionResults: credential.getClientExtensionResults(),
    authenticatorAttachment: credential.authenticatorAttachment || null,
  };
}

/** Whether this page may use security keys at all (a secure context with WebAuthn). */
export function available() {
  return Boolean(window.isSecureContext && window.PublicKeyCredential && navigator.credentials);
}

/** Register: `options` from POST /api/v1/auth/mfa/webauthn/options. */
export async function create(options) {
  const credential = await navigator.credentials.create({ publicKey: publicKeyOptions(options, "excludeCredentials") });
  const response = credential.response;
  return credentialJSON(credential, ["clientDataJSON", "attestationObject"], {
    transports: response.getTransports ? response.getTransports() : [],
  });
}

/** Sign in: `options` from the webauthn_options of a 401 second_factor_required. */
export async function get(options) {
  const credential = await navigator.credentials.get({ publicKey: publicKeyOptions(options, "allowCredentials") });
  return credentialJSON(credential, ["clientDataJSON", "authenticatorData", "signature", "userHandle"]);
}
