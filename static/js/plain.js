/**
 * Plain words for API errors, in one place: a 422's field paths and error types (pydantic's
 * `missing`, `float_parsing`, `string_too_short`, ... sent in `error.types`) become a sentence a
 * person under stress can act on ("Enter the latitude as a number, e.g. 50.9"), and a field path
 * becomes a name ("crisis.site.lat" → "Latitude"). The raw path and message stay available for a
 * tooltip; they never replace the sentence on the page.
 */

// What a field is called, and an example of a good value, by the last word of its path.
const FIELDS = {
  lat: { name: "latitude", example: "50.9" },
  lon: { name: "longitude", example: "4.48" },
  quantity: { name: "quantity", example: "2" },
  duration_hours: { name: "duration in hours", example: "48" },
  personnel: { name: "number of officers", example: "12" },
  headcount: { name: "number of officers", example: "12" },
  amount_minor: { name: "amount in cents", example: "125000" },
  break_off_min: { name: "break-off time in minutes", example: "90" },
  currency: { name: "currency", example: "EUR", pattern: "a three-letter currency code" },
  state: { name: "state", example: "FR", pattern: "a two-letter country code" },
  requesting_state: { name: "requesting state", example: "BE", pattern: "a two-letter country code" },
  code: { name: "capability", example: "ENV_AIRCRAFT", pattern: "a capability code" },
  needed_by: { name: "time needed by" },
  answer_deadline: { name: "answer deadline" },
  started_at: { name: "start time" },
  eta: { name: "expected arrival" },
  until: { name: "end" },
  reason: { name: "reason" },
  text: { name: "text" },
  on_scene_commander: { name: "on-scene commander" },
  operational_necessity: { name: "operational necessity" },
  place_name: { name: "place name" },
  site_query: { name: "site" },
};

function leaf(path) {
  const words = String(path || "").split(".").filter((part) => !/^\d+$/.test(part));
  return words[words.length - 1] || "";
}

function describe(path) {
  const key = leaf(path);
  return FIELDS[key] || { name: key.replace(/_/g, " ") };
}

/** A person's name for a field path: "crisis.site.lat" → "Latitude", "requirements.1.code" → "Capability (row 2)". */
export function fieldName(path) {
  const rows = String(path || "").split(".").filter((part) => /^\d+$/.test(part)).map((n) => Number(n) + 1);
  const name = describe(path).name || "this field";
  const label = name.charAt(0).toUpperCase() + name.slice(1);
  return rows.length ? `${label} (row ${rows.join(", ")})` : label;
}

function firstNumber(text) {
  const match = String(text || "").match(/-?\d+(\.\d+)?/);
  return match ? match[0] : null;
}

function sentence(text) {
  const s = String(text || "").trim().replace(/^Value error, /, "");
  if (!s) return "";
  const capital = s.charAt(0).toUpperCase() + s.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

const NUMBER_TYPES = new Set(["float_parsing", "float_type", "int_parsing", "int_type", "decimal_parsing", "number_type", "finite_number"]);
const TIME_TYPES = new Set(["datetime_parsing", "datetime_type", "datetime_from_date_parsing", "timezone_aware", "date_parsing", "date_type"]);

/**
 * The plain sentence for one field's error: `type` is pydantic's error type (absent for errors a
 * service raised, whose message is already written for people), `message` the API's text.
 */
export function plainSentence(path, type, message) {
  const field = describe(path);
  const limit = firstNumber(message);
  if (type === "missing") return `Fill in the ${field.name}.`;
  if (NUMBER_TYPES.has(type)) return `Enter the ${field.name} as a number${field.example ? `, e.g. ${field.example}` : ""}.`;
  if (type === "int_from_float") return `Enter the ${field.name} as a whole number${field.example ? `, e.g. ${field.example}` : ""}.`;
  if (type === "greater_than_equal") return `The ${field.name} must be ${limit} or more.`;
  if (type === "greater_than") return `The ${field.name} must be more than ${limit}.`;
  if (type === "less_than_equal") return `The ${field.name} must be ${limit} or less.`;
  if (type === "less_than") return `The ${field.name} must be less than ${limit}.`;
  if (type === "string_too_short") return limit === "1" || limit === null ? `Fill in the ${field.name}.` : `Write at least ${limit} characters.`;
  if (type === "string_too_long") return `Keep it to ${limit} characters at most.`;
  if (type === "too_short") return limit === "1" || limit === null ? "Choose at least one." : `Choose at least ${limit}.`;
  if (type === "too_long") return `Choose at most ${limit}.`;
  if (type === "enum" || type === "literal_error") return `Choose one of the offered ${field.name} values.`;
  if (type === "bool_type" || type === "bool_parsing") return "Choose yes or no.";
  if (TIME_TYPES.has(type)) return "Enter a date and time, e.g. 09/12/2026 08:00.";
  if (type === "string_pattern_mismatch") return field.pattern ? `Enter ${field.pattern}, e.g. ${field.example}.` : `Check the ${field.name}: its form is not recognised.`;
  if (type === "extra_forbidden") return "The console sent a field the server does not know; reload the page.";
  if (type === "string_type" || type === "list_type" || type === "dict_type" || type === "model_type") return `Check the ${field.name}.`;
  return sentence(message) || `Check the ${field.name}.`;
}

/**
 * Plain words for an API error body's `fields` (and `types`): {fields: {path: sentence},
 * raw: {path: "path: original message"}, message}. `message` is the first sentence for a 422, or
 * the server's message (already written for people) otherwise.
 */
export function plainFields(status, error) {
  const fields = {};
  const raw = {};
  const types = error?.types || {};
  for (const [path, message] of Object.entries(error?.fields || {})) {
    fields[path] = plainSentence(path, types[path], message);
    raw[path] = `${path}: ${message}${types[path] ? ` (${types[path]})` : ""}`;
  }
  const [firstPath] = Object.keys(fields);
  const message = status === 422 && firstPath ? `${fieldName(firstPath)}: ${fields[firstPath]}` : error?.message;
  return { fields, raw, message };
}
