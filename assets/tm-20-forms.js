// The technician forms (maintenance log, failure report, action items), rendered in the browser from a
// spec the Dash page embeds (fields, labels and the reference data), so they keep working offline:
// every change is kept as a draft in IndexedDB and restored on reload; a submission goes through the
// offline queue (tm-10-offline.js); the server validates and its messages appear next to each field.
(function () {
  "use strict";
  const T = () => window.tmOffline;
  const forms = {};

  // --- small DOM helpers -------------------------------------------------------------------------------
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") el.className = v;
      else if (k === "text") el.textContent = v;
      else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }
  const fmt = (n) => Number(n).toLocaleString("en-US");
  function localNow() {
    const d = new Date();
    d.setSeconds(0, 0);
    return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  }

  // --- image handling (client side: checks and downscale before upload) -------------------------------
  async function imageSize(file) {
    const head = new Uint8Array(await file.slice(0, 65536).arrayBuffer());
    const dv = new DataView(head.buffer);
    if (head[0] === 0x89 && head[1] === 0x50 && head.length > 24) {
      return {w: dv.getUint32(16), h: dv.getUint32(20)};
    }
    if (head[0] === 0xff && head[1] === 0xd8) {
      let i = 2;
      while (i + 9 < head.length) {
        if (head[i] !== 0xff) return null;
        const marker = head[i + 1];
        const len = dv.getUint16(i + 2);
        if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
          return {h: dv.getUint16(i + 5), w: dv.getUint16(i + 7)};
        }
        i += 2 + len;
      }
    }
    return null;
  }

  async function prepareImage(file, limits) {
    if (file.size > limits.max_bytes) {
      throw new Error(`${file.name || "The photo"} is ${(file.size / 1048576).toFixed(1)} MB; photos may be at most ${Math.round(limits.max_bytes / 1048576)} MB.`);
    }
    const size = await imageSize(file);
    if (size && size.w * size.h > limits.max_pixels) {
      throw new Error(`${file.name || "The photo"} is ${fmt(size.w)} × ${fmt(size.h)} pixels; photos may have at most ${Math.round(limits.max_pixels / 1e6)} megapixels.`);
    }
    let bitmap;
    try {
      bitmap = await createImageBitmap(file, {imageOrientation: "from-image"});
    } catch (e) {
      return file; // not decodable here: the server decides (and says why)
    }
    const scale = Math.min(1, limits.downscale_px / Math.max(bitmap.width, bitmap.height));
    if (scale === 1 && file.type === "image/jpeg" && file.size < 3 * 1048576) {
      bitmap.close();
      return file;
    }
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
    return blob || file;
  }

  // --- the camera overlay ------------------------------------------------------------------------------
  function openCamera(onPhoto, fallback) {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      fallback();
      return;
    }
    let stream = null;
    const video = h("video", {autoplay: true, playsinline: true, muted: true, class: "tm-camera-video", id: "tm-camera-video"});
    const still = h("canvas", {class: "tm-camera-still d-none", id: "tm-camera-still"});
    const status = h("p", {class: "text-white small mb-2", text: "Starting the camera…"});
    const capture = h("button", {type: "button", class: "btn btn-light btn-lg", id: "tm-camera-capture"}, "Take photo");
    const retake = h("button", {type: "button", class: "btn btn-outline-light btn-lg d-none", id: "tm-camera-retake"}, "Retake");
    const use = h("button", {type: "button", class: "btn btn-success btn-lg d-none", id: "tm-camera-use"}, "Use photo");
    const cancel = h("button", {type: "button", class: "btn btn-outline-light btn-lg", id: "tm-camera-cancel"}, "Cancel");
    const overlay = h("div", {class: "tm-camera", role: "dialog", "aria-label": "Camera"}, status, video, still,
      h("div", {class: "tm-camera-buttons"}, capture, retake, use, cancel));
    const close = () => {
      if (stream) stream.getTracks().forEach((t) => t.stop());
      overlay.remove();
    };
    cancel.onclick = close;
    capture.onclick = () => {
      still.width = video.videoWidth;
      still.height = video.videoHeight;
      still.getContext("2d").drawImage(video, 0, 0);
      video.classList.add("d-none");
      still.classList.remove("d-none");
      capture.classList.add("d-none");
      retake.classList.remove("d-none");
      use.classList.remove("d-none");
      status.textContent = "Keep this photo, or take it again.";
    };
    retake.onclick = () => {
      video.classList.remove("d-none");
      still.classList.add("d-none");
      capture.classList.remove("d-none");
      retake.classList.add("d-none");
      use.classList.add("d-none");
      status.textContent = "";
    };
    use.onclick = () => {
      still.toBlob((blob) => {
        close();
        if (blob) onPhoto(blob, `photo-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-")}.jpg`);
      }, "image/jpeg", 0.9);
    };
    document.body.appendChild(overlay);
    navigator.mediaDevices.getUserMedia({video: {facingMode: "environment", width: {ideal: 1920}}, audio: false})
      .then((s) => {
        stream = s;
        video.srcObject = s;
        status.textContent = "";
      })
      .catch(() => {
        close();
        fallback();
      });
  }

  // --- one form --------------------------------------------------------------------------------------
  class Form {
    constructor(root, spec) {
      this.root = root;
      this.spec = spec;
      this.name = spec.form;
      this.values = {};
      this.touched = {};
      this.errors = {};
      this.key = null;
      this.previews = {};
      this.ref = spec.ref || {};
      this.moulds = {};
      (this.ref.moulds || []).forEach((m) => (this.moulds[String(m.id)] = m));
    }

    field(name) {
      return this.spec.fields.find((f) => f.name === name);
    }
    mould() {
      return this.moulds[String(this.values.mould_id || "")] || null;
    }
    id(name) {
      return `${this.name}-${name}`.replace(/_/g, "-");
    }

    async start() {
      const saved = await T().idb.get("drafts", T().draftKey(this.draftName())).catch(() => null);
      this.defaults();
      if (saved && saved.values) {
        Object.assign(this.values, saved.values);
        this.key = saved.key || null;
        this.touched = saved.touched || {};
        this.errors = saved.errors || {};
        this.restored = saved;
      }
      this.key = this.key || T().uuid();
      this.render();
      if (this.restored) {
        this.showStatus(this.restored.refused
          ? ["danger", "The server refused this submission when it was sent; fix the fields marked below and submit again."]
          : ["info", `Draft restored (saved ${new Date(this.restored.saved).toLocaleString()}).`], true);
      }
    }

    draftName() {
      return this.spec.draft || this.name;
    }

    defaults() {
      this.values = {};
      for (const f of this.spec.fields) {
        if (f.default !== undefined) this.values[f.name] = JSON.parse(JSON.stringify(f.default));
        if (f.type === "datetime" && f.default_now) this.values[f.name] = localNow();
      }
      Object.assign(this.values, this.spec.values || {});
      this.prefill();
    }

    async saveDraft() {
      const draft = {values: this.values, key: this.key, touched: this.touched, saved: new Date().toISOString(),
        errors: this.errors};
      try {
        await T().idb.put("drafts", draft, T().draftKey(this.draftName()));
        const el = this.root.querySelector(".tm-draft-state");
        if (el) el.textContent = `Draft kept on this device ${new Date().toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"})}`;
      } catch (e) {
        console.warn("draft not saved", e);
      }
    }

    change(name, value, rerender) {
      this.values[name] = value;
      this.touched[name] = true;
      delete this.errors[name];
      if (rerender || (this.spec.dependents || {})[name]) {
        this.prefill(name);
        this.render();
      } else {
        this.renderVisibility();
        const err = this.root.querySelector(`[data-error-for="${name}"]`);
        if (err) err.textContent = "";
      }
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.saveDraft(), 300);
    }

    // Values that follow other fields until the user changes them (shot count, severity, technicians).
    prefill(changed) {
      const m = this.mould();
      for (const f of this.spec.fields) {
        if (this.touched[f.name] && changed !== undefined) continue;
        if (f.prefill === "mould.lifetime_shots" && m && (!this.touched[f.name] || changed === "mould_id")) {
          this.values[f.name] = String(m.lifetime_shots);
          delete this.touched[f.name];
        }
        if (f.prefill === "code.severity" && this.values.failure_code_id && (!this.touched[f.name] || changed === "failure_code_id")) {
          const code = (this.ref.codes || []).find((c) => String(c.id) === String(this.values.failure_code_id));
          if (code) this.values[f.name] = code.severity;
          delete this.touched[f.name];
        }
      }
    }

    visible(f) {
      if (!f.show_if) return true;
      const [other, want] = f.show_if;
      const v = this.values[other];
      return Array.isArray(want) ? want.indexOf(v) >= 0 : (want === true ? !!v : v === want);
    }

    renderVisibility() {
      for (const f of this.spec.fields) {
        const el = this.root.querySelector(`[data-field="${f.name}"]`);
        if (el) el.classList.toggle("d-none", !this.visible(f));
      }
    }

    // --- rendering -----------------------------------------------------------------------------------
    render() {
      const scrollY = window.scrollY;
      const active = document.activeElement && document.activeElement.id;
      const body = h("div", {class: "tm-form-body"});
      for (const f of this.spec.fields) {
        body.appendChild(this.renderField(f));
      }
      const submit = h("button", {type: "submit", class: "btn btn-primary btn-lg px-4", id: this.id("submit")},
        h("i", {class: "bi bi-send me-2"}), this.spec.submit_label || "Submit");
      const clear = h("button", {type: "button", class: "btn btn-outline-secondary btn-lg", id: this.id("clear"),
        onclick: () => this.clear()}, "Clear form");
      const formErr = this.errors._form ? h("div", {class: "alert alert-danger", role: "alert", text: this.errors._form}) : null;
      const unknown = Object.keys(this.errors).filter((k) => k !== "_form" && !this.placed(k));
      const extra = unknown.length ? h("div", {class: "alert alert-danger", role: "alert"},
        h("ul", {class: "mb-0"}, unknown.map((k) => h("li", {text: this.errors[k]})))) : null;
      const form = h("form", {class: "tm-form", novalidate: true, id: this.id("form"), onsubmit: (e) => {
        e.preventDefault();
        this.submit();
      }}, formErr, extra, body,
      h("div", {class: "d-flex flex-wrap gap-2 align-items-center mt-3 tm-form-actions"}, submit, clear,
        h("span", {class: "small text-body-secondary tm-draft-state ms-auto"})));
      const status = this.root.querySelector(".tm-form-status") || h("div", {class: "tm-form-status", id: this.id("status"), "aria-live": "polite"});
      this.root.replaceChildren(status, form);
      this.renderVisibility();
      window.scrollTo(0, scrollY);
      if (active && document.getElementById(active)) document.getElementById(active).focus();
    }

    placed(key) {
      const base = key.split(".")[0];
      return this.spec.fields.some((f) => f.name === base || (f.type === "photos" && base === "photos") ||
        (f.type === "cascade" && base === "failure_code_id"));
    }

    errorFor(name) {
      return h("div", {class: "field-error", "data-error-for": name, id: this.id(name) + "-error", role: "alert", text: this.errors[name] || ""});
    }

    wrap(f, control, opts) {
      const labelFor = (opts && opts.labelFor) || this.id(f.name);
      return h("div", {class: `form-field mb-3 ${f.class || ""}`, "data-field": f.name},
        f.type === "switch" ? null : h("label", {class: "form-label fw-semibold d-block", for: labelFor},
          f.label, f.required ? h("span", {class: "text-danger ms-1", "aria-hidden": "true"}, "*") : null),
        control,
        f.help ? h("div", {class: "form-text", id: this.id(f.name) + "-help"}, this.helpText(f)) : null,
        this.errorFor(f.name));
    }

    helpText(f) {
      const m = this.mould();
      if (f.prefill === "mould.lifetime_shots" && m) return `${f.help} Latest counter for ${m.code}: ${fmt(m.lifetime_shots)}.`;
      return f.help;
    }

    input(f, attrs) {
      const v = this.values[f.name];
      return h("input", Object.assign({class: "form-control form-control-lg" + (this.errors[f.name] ? " is-invalid" : ""),
        id: this.id(f.name), name: f.name, value: v === undefined || v === null ? "" : String(v),
        "aria-describedby": this.id(f.name) + "-error", required: f.required || null,
        oninput: (e) => this.change(f.name, e.target.value)}, attrs));
    }

    renderField(f) {
      const render = {
        mould: () => this.renderMould(f),
        radio: () => this.renderRadio(f, f.options),
        select: () => this.renderSelect(f, this.options(f)),
        datetime: () => this.wrap(f, this.input(f, {type: "datetime-local", max: localNow().slice(0, 10) + "T23:59"})),
        date: () => this.wrap(f, this.input(f, {type: "date"})),
        int: () => this.wrap(f, this.input(f, {type: "text", inputmode: "numeric", pattern: "[0-9,]*", autocomplete: "off"})),
        decimal: () => this.wrap(f, this.input(f, {type: "text", inputmode: "decimal", autocomplete: "off"})),
        text: () => this.wrap(f, this.input(f, {type: "text", maxlength: f.max || 255})),
        textarea: () => this.wrap(f, h("textarea", {class: "form-control form-control-lg" + (this.errors[f.name] ? " is-invalid" : ""),
          id: this.id(f.name), rows: f.rows || 3, maxlength: f.max || 4000, "aria-describedby": this.id(f.name) + "-error",
          oninput: (e) => this.change(f.name, e.target.value)}, this.values[f.name] || "")),
        people: () => this.renderPeople(f),
        switch: () => this.renderSwitch(f),
        checklist: () => this.renderChecklist(f),
        parts: () => this.renderParts(f),
        photos: () => this.renderPhotos(f),
        cascade: () => this.renderCascade(f),
        heading: () => h("h2", {class: "h5 mt-4 mb-3", "data-field": f.name}, f.label),
      }[f.type];
      return render ? render() : h("div");
    }

    options(f) {
      const m = this.mould();
      if (f.options_from === "cavities") {
        if (!m) return [{value: "", label: "Choose the mould first"}];
        const blocked = new Set(String(m.blocked || "").split(",").map((s) => s.trim()).filter(Boolean));
        const opts = [{value: "", label: "Whole mould / not known"}];
        for (let i = 1; i <= m.cavities; i++) {
          if (!blocked.has(String(i))) opts.push({value: String(i), label: `Cavity ${i}`});
        }
        return opts;
      }
      if (f.options_from === "people") {
        const site = m ? m.site_id : (Number(this.values.site_id) || this.spec.site_id || null);
        const me = this.spec.user;
        let people = (this.ref.people || []).filter((p) => site === null || p.sites.indexOf(site) >= 0 || p.role === "admin");
        if (!this.spec.can_assign) people = people.filter((p) => p.id === me.id);
        return [{value: "", label: f.empty_label || "Nobody yet"}].concat(people.map((p) => ({value: String(p.id), label: p.name})));
      }
      return f.options || [];
    }

    renderMould(f) {
      const list = this.ref.moulds || [];
      const search = (this.searchText || "").toLowerCase();
      const matches = list.filter((m) => !search || `${m.code} ${m.name}`.toLowerCase().indexOf(search) >= 0);
      const current = this.values[f.name] ? String(this.values[f.name]) : "";
      const shown = matches.slice(0, 300);
      if (current && !shown.some((m) => String(m.id) === current) && this.moulds[current]) shown.unshift(this.moulds[current]);
      const select = h("select", {class: "form-select form-select-lg" + (this.errors[f.name] ? " is-invalid" : ""),
        id: this.id(f.name), "aria-describedby": this.id(f.name) + "-error",
        onchange: (e) => this.change(f.name, e.target.value, true)},
      h("option", {value: "", text: matches.length ? `Choose a mould (${matches.length} match${matches.length === 1 ? "" : "es"})` : "No mould matches the search"}),
      shown.map((m) => h("option", {value: String(m.id), selected: String(m.id) === current,
        text: `${m.code} · ${m.name}${m.site ? " · " + m.site : ""}`})));
      const box = h("input", {type: "search", class: "form-control form-control-lg mb-2", id: this.id(f.name) + "-search",
        placeholder: "Search by code or name", "aria-label": "Search moulds by code or name", value: this.searchText || "",
        autocomplete: "off", oninput: (e) => {
          this.searchText = e.target.value;
          const q = this.searchText.trim().toLowerCase();
          const exact = list.filter((m) => m.code.toLowerCase() === q);
          if (exact.length === 1) {
            this.change(f.name, String(exact[0].id), true);
          } else {
            this.render();
          }
        }});
      const m = this.mould();
      const info = m ? h("div", {class: "form-text"}, `${m.code} at ${m.site || "site"}: ${m.cavities} cavit${m.cavities === 1 ? "y" : "ies"}` +
        (m.press ? `, on press ${m.press}` : ", not on a press") + `, ${fmt(m.lifetime_shots)} shots.`) : null;
      return this.wrap(f, h("div", {}, box, select, info));
    }

    renderRadio(f, options) {
      const group = h("div", {class: "btn-group tm-choice flex-wrap", role: "group", id: this.id(f.name),
        "aria-label": f.label});
      options.forEach((o, i) => {
        const id = `${this.id(f.name)}-${i}`;
        group.appendChild(h("input", {type: "radio", class: "btn-check", name: this.id(f.name), id, value: o.value,
          checked: this.values[f.name] === o.value, onchange: () => this.change(f.name, o.value, !!f.rerender)}));
        group.appendChild(h("label", {class: `btn btn-lg btn-outline-${o.tone || "primary"}`, for: id}, o.label));
      });
      return this.wrap(f, group, {labelFor: `${this.id(f.name)}-0`});
    }

    renderSelect(f, options) {
      const current = this.values[f.name] === undefined || this.values[f.name] === null ? "" : String(this.values[f.name]);
      return this.wrap(f, h("select", {class: "form-select form-select-lg" + (this.errors[f.name] ? " is-invalid" : ""),
        id: this.id(f.name), "aria-describedby": this.id(f.name) + "-error",
        onchange: (e) => this.change(f.name, e.target.value, !!f.rerender)},
      options.map((o) => h("option", {value: o.value, selected: String(o.value) === current, text: o.label}))));
    }

    renderSwitch(f) {
      return h("div", {class: "form-field mb-3", "data-field": f.name},
        h("div", {class: "form-check form-switch tm-switch"},
          h("input", {class: "form-check-input", type: "checkbox", role: "switch", id: this.id(f.name),
            checked: !!this.values[f.name], onchange: (e) => this.change(f.name, e.target.checked, true)}),
          h("label", {class: "form-check-label fw-semibold", for: this.id(f.name)}, f.label)),
        this.errorFor(f.name));
    }

    renderPeople(f) {
      const m = this.mould();
      const site = m ? m.site_id : (this.spec.site_id || null);
      const people = (this.ref.people || []).filter((p) => site === null || p.sites.indexOf(site) >= 0);
      const chosen = (this.values[f.name] || []).map(String);
      const box = h("div", {class: "tm-people d-flex flex-wrap gap-2", id: this.id(f.name)},
        people.map((p) => {
          const id = `${this.id(f.name)}-${p.id}`;
          return [h("input", {type: "checkbox", class: "btn-check", id, checked: chosen.indexOf(String(p.id)) >= 0,
            onchange: (e) => {
              const set = new Set((this.values[f.name] || []).map(String));
              if (e.target.checked) set.add(String(p.id)); else set.delete(String(p.id));
              this.change(f.name, Array.from(set));
            }}), h("label", {class: "btn btn-outline-secondary", for: id}, p.name)];
        }));
      return this.wrap(f, box, {labelFor: people.length ? `${this.id(f.name)}-${people[0].id}` : this.id(f.name)});
    }

    renderChecklist(f) {
      const m = this.mould();
      const items = m ? ((this.ref.checklists || {})[m.family] || []) : [];
      const current = this.values[f.name] || [];
      const byItem = {};
      current.forEach((r) => (byItem[r.item] = r));
      const rows = items.map((item, i) => {
        const r = byItem[item] || {item, result: null, note: ""};
        const set = (patch) => {
          const list = items.map((it) => Object.assign({item: it, result: null, note: ""}, byItem[it] || {}));
          Object.assign(list[i], patch);
          list.forEach((x) => (byItem[x.item] = x));
          delete this.errors[`${f.name}.${i}`];
          this.change(f.name, list, patch.result !== undefined);
        };
        const name = `${this.id(f.name)}-${i}`;
        const choices = [["ok", "OK", "success"], ["attention", "Attention", "warning"], ["not_ok", "Not OK", "danger"]];
        return h("div", {class: "tm-check-row border rounded p-2 mb-2" + (this.errors[`${f.name}.${i}`] ? " border-danger" : ""), "data-check": String(i)},
          h("div", {class: "fw-semibold mb-1", id: `${name}-label`}, `${i + 1}. ${item}`),
          h("div", {class: "btn-group tm-choice flex-wrap mb-1", role: "radiogroup", "aria-labelledby": `${name}-label`},
            choices.map(([value, label, tone]) => [
              h("input", {type: "radio", class: "btn-check", name, id: `${name}-${value}`, value, checked: r.result === value,
                onchange: () => set({result: value})}),
              h("label", {class: `btn btn-outline-${tone}`, for: `${name}-${value}`}, label)])),
          h("input", {type: "text", class: "form-control", id: `${name}-note`, placeholder: "Note (what you found or did)",
            "aria-label": `Note for ${item}`, value: r.note || "", oninput: (e) => set({note: e.target.value})}),
          h("div", {class: "field-error", "data-error-for": `${f.name}.${i}`, text: this.errors[`${f.name}.${i}`] || ""}));
      });
      const body = m ? (items.length ? rows : h("p", {class: "text-body-secondary", text: `No PM template for the family '${m.family || "none"}' of ${m.code}: describe the work below.`}))
        : h("p", {class: "text-body-secondary", text: "Choose the mould to see its checklist."});
      return h("fieldset", {class: "form-field mb-3", "data-field": f.name, id: this.id(f.name)},
        h("legend", {class: "form-label fw-semibold fs-6"}, f.label), body, this.errorFor(f.name));
    }

    renderParts(f) {
      const rows = this.values[f.name] || [];
      const set = (i, key, value) => {
        const list = (this.values[f.name] || []).map((r) => Object.assign({}, r));
        list[i][key] = value;
        delete this.errors[`${f.name}.${i}.${key}`];
        this.change(f.name, list);
        const total = this.root.querySelector(".tm-parts-total");
        if (total) total.textContent = this.partsTotal(list);
      };
      const cols = [["part_number", "Part number", "text", 3], ["description", "Description", "text", 4],
        ["quantity", "Quantity", "decimal", 2], ["unit_cost", "Unit cost", "decimal", 2]];
      const body = rows.map((r, i) => h("div", {class: "row g-2 align-items-start mb-2 tm-part-row", "data-part": String(i)},
        cols.map(([key, label, type, width]) => h("div", {class: `col-6 col-md-${width}`},
          h("label", {class: "form-label small mb-0", for: `${this.id(f.name)}-${i}-${key}`}, label),
          h("input", {type: "text", class: "form-control" + (this.errors[`${f.name}.${i}.${key}`] ? " is-invalid" : ""),
            id: `${this.id(f.name)}-${i}-${key}`, inputmode: type === "decimal" ? "decimal" : null, value: r[key] || "",
            oninput: (e) => set(i, key, e.target.value)}),
          h("div", {class: "field-error", "data-error-for": `${f.name}.${i}.${key}`, text: this.errors[`${f.name}.${i}.${key}`] || ""}))),
        h("div", {class: "col-12 col-md-1 d-flex align-items-end"},
          h("button", {type: "button", class: "btn btn-outline-danger w-100 mt-md-4", "aria-label": `Remove part ${i + 1}`,
            onclick: () => {
              const list = (this.values[f.name] || []).filter((_, j) => j !== i);
              Object.keys(this.errors).filter((k) => k.startsWith(`${f.name}.`)).forEach((k) => delete this.errors[k]);
              this.change(f.name, list, true);
            }}, h("i", {class: "bi bi-trash"})))));
      const add = h("button", {type: "button", class: "btn btn-outline-primary", id: this.id(f.name) + "-add",
        onclick: () => this.change(f.name, (this.values[f.name] || []).concat([{part_number: "", description: "", quantity: "1", unit_cost: ""}]), true)},
      h("i", {class: "bi bi-plus-lg me-1"}), "Add part");
      return h("fieldset", {class: "form-field mb-3", "data-field": f.name, id: this.id(f.name)},
        h("legend", {class: "form-label fw-semibold fs-6"}, f.label),
        rows.length ? body : h("p", {class: "text-body-secondary small", text: "No parts used."}),
        h("div", {class: "d-flex align-items-center gap-3"}, add, h("span", {class: "tm-parts-total small", text: this.partsTotal(rows)})),
        this.errorFor(f.name));
    }

    partsTotal(rows) {
      let total = 0;
      for (const r of rows) {
        const q = parseFloat(String(r.quantity || "").replace(",", "."));
        const c = parseFloat(String(r.unit_cost || "").replace(",", "."));
        if (!isNaN(q) && !isNaN(c)) total += q * c;
      }
      return rows.length ? `Parts cost: ${total.toFixed(2)}` : "";
    }

    renderCascade(f) {
      const codes = this.ref.codes || [];
      const levels = f.levels;
      const picked = this.values._cascade || {};
      const code = codes.find((c) => String(c.id) === String(this.values.failure_code_id || ""));
      if (code) levels.forEach((l) => (picked[l.name] = code[l.name]));
      const controls = levels.map((level, i) => {
        const before = levels.slice(0, i);
        const pool = codes.filter((c) => before.every((b) => !picked[b.name] || c[b.name] === picked[b.name]));
        const options = Array.from(new Set(pool.map((c) => c[level.name]))).sort();
        const disabled = i > 0 && !picked[levels[i - 1].name];
        const id = `${this.id(f.name)}-${level.name}`;
        return h("div", {class: "col-12 col-md-6 col-xl-3"},
          h("label", {class: "form-label fw-semibold", for: id}, `${i + 1}. ${level.label}`),
          h("select", {class: "form-select form-select-lg" + (this.errors.failure_code_id && !picked[level.name] ? " is-invalid" : ""),
            id, disabled: disabled || null, onchange: (e) => {
              const next = Object.assign({}, picked);
              next[level.name] = e.target.value;
              levels.slice(i + 1).forEach((l) => delete next[l.name]);
              // pick the only remaining option of each later level automatically
              for (const l of levels.slice(i + 1)) {
                const rest = codes.filter((c) => levels.every((b) => !next[b.name] || c[b.name] === next[b.name]));
                const opts = Array.from(new Set(rest.map((c) => c[l.name])));
                if (opts.length === 1) next[l.name] = opts[0]; else break;
              }
              const match = codes.filter((c) => levels.every((b) => next[b.name] && c[b.name] === next[b.name]));
              this.values._cascade = next;
              delete this.errors.failure_code_id;
              this.change("failure_code_id", match.length === 1 ? String(match[0].id) : "", true);
            }},
          h("option", {value: "", text: disabled ? "—" : `Choose ${level.label.toLowerCase()}`}),
          options.map((o) => h("option", {value: o, selected: picked[level.name] === o, text: o}))));
      });
      const summary = code ? h("div", {class: "alert alert-secondary py-2 mt-2 mb-0", id: this.id(f.name) + "-code"},
        h("strong", {}, code.code), ` · ${code.mode} / ${code.mechanism} / ${code.cause} / ${code.component}` +
        (code.description ? ` — ${code.description}` : "")) : null;
      return h("fieldset", {class: "form-field mb-3", "data-field": f.name},
        h("legend", {class: "form-label fw-semibold fs-6"}, f.label),
        h("div", {class: "row g-2"}, controls), summary,
        h("div", {class: "field-error", "data-error-for": "failure_code_id", role: "alert", text: this.errors.failure_code_id || ""}));
    }

    renderPhotos(f) {
      const photos = this.values[f.name] || [];
      const limits = this.spec.limits;
      const file = h("input", {type: "file", accept: "image/*", capture: "environment", multiple: true,
        class: "visually-hidden", id: this.id(f.name) + "-file", "aria-label": "Choose photos from this device",
        onchange: async (e) => {
          const files = Array.from(e.target.files || []);
          e.target.value = "";
          for (const fl of files) await this.addPhoto(f, fl, fl.name);
        }});
      const camera = h("button", {type: "button", class: "btn btn-outline-primary btn-lg", id: this.id(f.name) + "-camera",
        onclick: () => openCamera((blob, name) => this.addPhoto(f, blob, name), () => file.click())},
      h("i", {class: "bi bi-camera me-2"}), "Take photo");
      const pick = h("label", {class: "btn btn-outline-secondary btn-lg mb-0", for: this.id(f.name) + "-file"},
        h("i", {class: "bi bi-image me-2"}), "Choose file");
      const list = h("div", {class: "d-flex flex-wrap gap-2 mt-2 tm-photo-list", id: this.id(f.name) + "-list"},
        photos.map((p) => {
          const img = h("img", {class: "tm-photo-thumb rounded border", alt: p.name || "photo", "data-key": p.key});
          this.preview(p.key).then((url) => url && (img.src = url));
          return h("div", {class: "tm-photo position-relative"}, img,
            h("button", {type: "button", class: "btn btn-sm btn-danger position-absolute top-0 end-0 m-1",
              "aria-label": `Remove photo ${p.name || ""}`, onclick: () => this.removePhoto(f, p.key)},
            h("i", {class: "bi bi-x-lg"})));
        }));
      return h("div", {class: "form-field mb-3", "data-field": f.name},
        h("div", {class: "form-label fw-semibold", id: this.id(f.name) + "-label"}, f.label),
        h("div", {class: "d-flex flex-wrap gap-2"}, camera, pick, file),
        h("div", {class: "form-text"}, `Photos are made smaller on this device before sending (at most ${Math.round(limits.max_bytes / 1048576)} MB each).`),
        list, h("div", {class: "field-error", "data-error-for": "photos", id: this.id(f.name) + "-error", role: "alert", text: this.errors.photos || ""}));
    }

    async preview(key) {
      if (this.previews[key]) return this.previews[key];
      const blob = await T().idb.get("blobs", key).catch(() => null);
      if (!blob) return null;
      this.previews[key] = URL.createObjectURL(blob);
      return this.previews[key];
    }

    async addPhoto(f, file, name) {
      let blob;
      try {
        blob = await prepareImage(file, this.spec.limits);
      } catch (e) {
        this.errors.photos = e.message;
        this.render();
        return;
      }
      const key = T().uuid();
      await T().idb.put("blobs", blob, key);
      delete this.errors.photos;
      this.change(f.name, (this.values[f.name] || []).concat([{key, name: name || "photo.jpg", size: blob.size}]), true);
    }

    async removePhoto(f, key) {
      await T().idb.del("blobs", key).catch(() => null);
      if (this.previews[key]) URL.revokeObjectURL(this.previews[key]);
      delete this.previews[key];
      this.change(f.name, (this.values[f.name] || []).filter((p) => p.key !== key), true);
    }

    // --- submission ------------------------------------------------------------------------------------
    payload() {
      const out = {};
      for (const f of this.spec.fields) {
        if (f.type === "cascade") {
          out[f.name] = this.values[f.name] || null;
          continue;
        }
        if (f.type === "heading" || f.type === "photos" || !this.visible(f)) continue;
        let v = this.values[f.name];
        if (f.type === "datetime" && v) v = new Date(v).toISOString();
        if (f.type === "people") v = (v || []).map(Number);
        if (f.type === "checklist") {
          const m = this.mould();
          const items = m ? ((this.ref.checklists || {})[m.family] || []) : [];
          const by = {};
          (v || []).forEach((r) => (by[r.item] = r));
          v = items.map((item) => ({item, result: (by[item] || {}).result || null, note: (by[item] || {}).note || ""}));
        }
        out[f.name] = v === undefined ? null : v;
      }
      return out;
    }

    localErrors(payload) {
      const errors = {};
      for (const f of this.spec.fields) {
        if (!f.required || !this.visible(f)) continue;
        const v = f.type === "cascade" ? payload.failure_code_id : payload[f.name];
        if (v === null || v === undefined || String(v).trim() === "") {
          errors[f.type === "cascade" ? "failure_code_id" : f.name] = `${f.label} is required.`;
        }
      }
      return errors;
    }

    async submit() {
      const button = this.root.querySelector(`#${this.id("submit")}`);
      const payload = this.payload();
      const local = this.localErrors(payload);
      if (Object.keys(local).length) {
        this.errors = local;
        this.render();
        this.showStatus(["danger", "Some fields need attention: see the messages below them."]);
        this.focusFirstError();
        return;
      }
      if (button) button.disabled = true;
      const photos = (this.values.photos || []).map((p) => ({key: p.key, name: p.name}));
      const mould = this.mould();
      const entry = {key: this.key, form: this.draftName(), url: this.spec.url, method: this.spec.method || "POST",
        purpose: this.spec.photo_purpose, payload, photos, draft: this.values,
        label: `${this.spec.noun}${mould ? " for " + mould.code : ""}`};
      await T().enqueue(entry);
      if (!navigator.onLine) {
        await this.reset();
        this.showStatus(["warning", `You are offline: the ${this.spec.noun.toLowerCase()} is kept on this device and will be sent when the connection returns.`], true);
        return;
      }
      this.showStatus(["info", "Sending…"]);
      this.pending = entry.key;
      await T().processQueue();
      if (this.pending === entry.key) {
        // still queued: the connection failed while sending
        this.pending = null;
        await this.reset();
        this.showStatus(["warning", `The connection failed: the ${this.spec.noun.toLowerCase()} is kept on this device and will be sent automatically.`], true);
      }
    }

    onSent(event) {
      if (event.entry.key !== this.pending && event.entry.form !== this.draftName()) return;
      const mine = event.entry.key === this.pending;
      this.pending = null;
      if (mine) {
        this.reset().then(() => {
          this.showResult(event.entry, event.result);
          this.afterSuccess();
        });
      } else {
        this.afterSuccess();
      }
    }

    onRefused(event) {
      if (event.entry.key !== this.pending) return;
      this.pending = null;
      this.errors = event.errors || {};
      const button = this.root.querySelector(`#${this.id("submit")}`);
      if (button) button.disabled = false;
      this.render();
      this.saveDraft();
      T().state.refused = T().state.refused.filter((l) => l !== event.entry.label);
      T().notify();
      this.showStatus(["danger", event.errors._form || "Some fields need attention: see the messages below them. Nothing was saved."]);
      this.focusFirstError();
    }

    afterSuccess() {
      const target = this.spec.refresh;
      if (target && window.dash_clientside && window.dash_clientside.set_props) {
        window.dash_clientside.set_props(target, {data: Date.now()});
      }
    }

    focusFirstError() {
      const el = this.root.querySelector(".is-invalid, .field-error:not(:empty)");
      if (el) el.scrollIntoView({block: "center"});
    }

    async reset() {
      await T().idb.del("drafts", T().draftKey(this.draftName())).catch(() => null);
      this.key = T().uuid();
      this.errors = {};
      this.touched = {};
      this.searchText = "";
      const keepMould = this.spec.keep_mould ? this.values.mould_id : null;
      this.defaults();
      if (keepMould) this.values.mould_id = keepMould;
      this.prefill("mould_id");
      this.render();
    }

    async clear() {
      if (!window.confirm("Clear the form? What you typed and the photos are removed from this device.")) return;
      for (const p of this.values.photos || []) await T().idb.del("blobs", p.key).catch(() => null);
      await this.reset();
      this.showStatus(null);
    }

    showStatus(status, keep) {
      const el = this.root.querySelector(".tm-form-status");
      if (!el) return;
      el.replaceChildren();
      if (!status) return;
      el.appendChild(h("div", {class: `alert alert-${status[0]}`, role: status[0] === "danger" ? "alert" : "status",
        id: this.id("message")}, status[1]));
      if (!keep) el.scrollIntoView({block: "nearest"});
    }

    showResult(entry, result) {
      const el = this.root.querySelector(".tm-form-status");
      const photos = result.photos || [];
      const box = h("div", {class: "alert alert-success", role: "status", id: this.id("message")},
        h("div", {class: "fw-semibold"}, result.message || "Saved."),
        photos.length ? h("div", {class: "d-flex flex-wrap gap-2 mt-2", id: this.id("saved-photos")},
          photos.map((p) => this.photoProgress(p))) : null);
      el.replaceChildren(box);
      el.scrollIntoView({block: "nearest"});
    }

    photoProgress(p) {
      const bar = h("div", {class: "progress-bar", role: "progressbar", style: "width: 5%", "aria-label": "Photo processing"});
      const holder = h("div", {class: "tm-photo-progress", "data-photo": String(p.id)},
        h("div", {class: "progress", style: "height: .75rem"}, bar), h("div", {class: "small", text: "Processing photo…"}));
      const poll = async (tries) => {
        try {
          const resp = await fetch(`/api/v1/photos/${p.id}` + (p.job_id ? `?job=${encodeURIComponent(p.job_id)}` : ""),
            {credentials: "same-origin", cache: "no-store"});
          const s = await resp.json();
          if (s.thumb_url) {
            holder.replaceChildren(h("img", {src: s.thumb_url, class: "tm-photo-thumb rounded border", alt: `Photo ${p.id}`,
              "data-photo-id": String(p.id)}));
            return;
          }
          if (s.status === "failed" || s.job_status === "failed") {
            holder.replaceChildren(h("div", {class: "text-danger small", text: s.message || "The photo could not be processed."}));
            return;
          }
          bar.style.width = `${Math.max(5, s.progress || 0)}%`;
        } catch (e) {
          // offline for a moment: keep trying
        }
        if (tries < 120) setTimeout(() => poll(tries + 1), 1000);
      };
      poll(0);
      return holder;
    }
  }

  // --- wiring: find form islands the Dash page renders ----------------------------------------------
  function init(root) {
    if (root.dataset.tmReady === "1") return;
    root.dataset.tmReady = "1";
    let spec;
    try {
      spec = JSON.parse(root.dataset.spec);
    } catch (e) {
      root.textContent = "This form could not be loaded: reload the page.";
      return;
    }
    const form = new Form(root, spec);
    forms[spec.draft || spec.form] = form;
    root.tmForm = form;
    form.start();
  }

  function scan() {
    document.querySelectorAll("[data-tm-form]").forEach(init);
  }

  function boot() {
    if (!window.tmOffline) return;
    T().on((event) => {
      for (const form of Object.values(forms)) {
        if (!document.body.contains(form.root)) continue;
        if (event.type === "sent") form.onSent(event);
        if (event.type === "refused") form.onRefused(event);
      }
    });
    new MutationObserver(scan).observe(document.body, {childList: true, subtree: true});
    scan();
  }

  window.tmForms = {forms, prepareImage, imageSize};
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot); else boot();
})();
