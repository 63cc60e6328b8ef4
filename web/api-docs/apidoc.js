// Renders the API's OpenAPI 3.1 document (served by the API at /openapi.json, reached through the
// site's same-origin /api) as a readable reference. Plain DOM, no dependencies: every string from
// the document goes into text nodes, so the page is safe whatever the document says.

const DOC_URL = "../api/openapi.json";
const METHODS = ["get", "post", "put", "patch", "delete", "head"];

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// A small subset of Markdown the document uses: paragraphs, `code` and **bold**.
function inline(text, into) {
  for (const part of String(text || "").split(/(`[^`]+`|\*\*[^*]+\*\*)/)) {
    if (part.startsWith("`") && part.endsWith("`") && part.length > 1) into.append(el("code", {}, part.slice(1, -1)));
    else if (part.startsWith("**") && part.endsWith("**") && part.length > 3) into.append(el("strong", {}, part.slice(2, -2)));
    else if (part) into.append(part);
  }
  return into;
}

function prose(text) {
  const box = el("div", { class: "desc" });
  for (const paragraph of String(text || "").split(/\n{2,}/)) box.append(inline(paragraph, el("p")));
  return box;
}

function resolve(doc, node) {
  let current = node;
  const seen = new Set();
  while (current && typeof current === "object" && typeof current.$ref === "string" && !seen.has(current.$ref)) {
    seen.add(current.$ref);
    current = current.$ref.replace(/^#\//, "").split("/").reduce((obj, key) => (obj ? obj[key] : undefined), doc);
  }
  return current || {};
}

function refName(node) {
  return node && typeof node.$ref === "string" ? node.$ref.split("/").pop() : null;
}

function typeOf(schema) {
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  const type = Array.isArray(schema.type) ? schema.type.join(" | ") : schema.type || (schema.oneOf ? "one of" : "any");
  const bounds = [];
  if (schema.minimum !== undefined || schema.maximum !== undefined) bounds.push(`${schema.minimum ?? "…"}–${schema.maximum ?? "…"}`);
  if (schema.minLength !== undefined || schema.maxLength !== undefined) bounds.push(`length ${schema.minLength ?? 0}–${schema.maxLength ?? "…"}`);
  if (schema.pattern) bounds.push(`pattern ${schema.pattern}`);
  if (schema.format) bounds.push(schema.format);
  return bounds.length ? `${type} (${bounds.join(", ")})` : type;
}

function schemaView(doc, node, depth = 0) {
  const name = refName(node);
  const schema = resolve(doc, node);
  const box = el("div", { class: "sc" });
  if (depth > 4) return el("span", { class: "sc-type" }, name || "…");
  if (schema.oneOf) {
    box.append(el("div", { class: "sc-note" }, "One of:"));
    for (const option of schema.oneOf) box.append(el("div", { class: "sc-field" }, schemaView(doc, option, depth + 1)));
    return box;
  }
  if (schema.type === "array") {
    box.append(el("span", { class: "sc-type" }, `array of ${refName(schema.items) || typeOf(resolve(doc, schema.items))}`));
    const items = resolve(doc, schema.items);
    if (items.properties || items.oneOf) box.append(el("div", { class: "sc-field" }, schemaView(doc, schema.items, depth + 1)));
    return box;
  }
  if (schema.properties) {
    if (name) box.append(inline(schema.description ? `${name}: ${schema.description}` : name, el("div", { class: "sc-note" })));
    const required = new Set(schema.required || []);
    for (const [prop, sub] of Object.entries(schema.properties)) {
      const resolved = resolve(doc, sub);
      const line = el(
        "div",
        { class: "sc-field" },
        el("span", { class: "sc-name" }, prop),
        required.has(prop) ? el("span", { class: "sc-req", title: "required" }, " *") : "",
        " ",
        el("span", { class: "sc-type" }, refName(sub) || typeOf(resolved)),
        resolved.description ? inline(` — ${resolved.description}`, el("span", { class: "sc-note" })) : "",
      );
      box.append(line);
      if ((resolved.properties || resolved.type === "array" || resolved.oneOf) && depth < 3) {
        box.append(el("div", { class: "sc-field" }, schemaView(doc, sub, depth + 1)));
      }
    }
    if (schema.additionalProperties === false) box.append(el("div", { class: "sc-note" }, "No other fields."));
    return box;
  }
  box.append(el("span", { class: "sc-type" }, name || typeOf(schema)));
  return box;
}

function parametersTable(doc, params) {
  const table = el("table", {}, el("tr", {}, el("th", {}, "Name"), el("th", {}, "In"), el("th", {}, "Type"), el("th", {}, "Meaning")));
  for (const raw of params) {
    const p = resolve(doc, raw);
    table.append(el("tr", {},
      el("td", {}, el("code", {}, p.name), p.required ? el("span", { class: "sc-req", title: "required" }, " *") : ""),
      el("td", {}, p.in),
      el("td", {}, typeOf(resolve(doc, p.schema || {}))),
      el("td", {}, p.description ? prose(p.description) : "")));
  }
  return table;
}

function responsesTable(doc, responses) {
  const table = el("table", {}, el("tr", {}, el("th", {}, "Status"), el("th", {}, "Meaning"), el("th", {}, "Body")));
  for (const [status, raw] of Object.entries(responses || {})) {
    const response = resolve(doc, raw);
    const media = response.content && response.content["application/json"];
    const other = Object.keys(response.content || {}).filter((type) => type !== "application/json");
    const body = media ? schemaView(doc, media.schema || {})
      : other.length ? el("code", {}, other.join(", ")) // e.g. the CSV export
      : el("span", { class: "muted" }, "none");
    table.append(el("tr", {},
      el("td", {}, el("span", { class: `status s${status[0]}` }, status)),
      el("td", {}, prose(response.description || "")),
      el("td", {}, body)));
  }
  return table;
}

function security(doc, op) {
  const requirements = op.security || doc.security || [];
  if (requirements.length === 0) return "public";
  const anonymous = requirements.some((r) => Object.keys(r).length === 0);
  return anonymous ? "public; admins see more" : "admin token";
}

function render(doc) {
  document.getElementById("title").textContent = doc.info?.title || "API";
  document.getElementById("version").textContent = `Version ${doc.info?.version || "?"} · OpenAPI ${doc.openapi}`;
  const main = document.getElementById("doc");
  const toc = document.getElementById("toc");
  main.replaceChildren(el("section", { class: "intro" }, prose(doc.info?.description || "")));
  toc.replaceChildren();
  const byTag = new Map();
  for (const [path, item] of Object.entries(doc.paths || {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const tag = (op.tags && op.tags[0]) || "other";
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push({ path, method, op, shared: item.parameters || [] });
    }
  }
  for (const [tag, ops] of byTag) {
    toc.append(el("h2", {}, tag));
    for (const { path, method, op, shared } of ops) {
      const id = op.operationId || `${method}-${path}`;
      toc.append(el("a", { href: `#${id}` }, `${method.toUpperCase()} ${path}`));
      const section = el("section", { class: "op", id },
        el("div", { class: "op-line" },
          el("span", { class: `method ${method}` }, method.toUpperCase()),
          el("code", { class: "path" }, path),
          el("span", { class: "op-access" }, security(doc, op))),
        op.summary ? el("p", {}, el("strong", {}, op.summary)) : "",
        op.description ? prose(op.description) : "");
      const params = [...shared, ...(op.parameters || [])];
      if (params.length) section.append(el("h3", {}, "Parameters"), parametersTable(doc, params));
      const body = op.requestBody && resolve(doc, op.requestBody);
      if (body && body.content) {
        // JSON for most routes; the CSV import takes text/csv: each media type the body may have.
        for (const [type, media] of Object.entries(body.content)) {
          section.append(el("h3", {}, `Body (${type})`), schemaView(doc, (media && media.schema) || {}));
        }
      }
      section.append(el("h3", {}, "Responses"), responsesTable(doc, op.responses));
      main.append(section);
    }
  }
}

async function main() {
  try {
    const response = await fetch(DOC_URL, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    render(await response.json());
  } catch (err) {
    document.getElementById("doc").replaceChildren(
      el("p", { class: "error-box" }, `Could not load the API description (${err.message}). Is the API running?`));
  }
}

main();
