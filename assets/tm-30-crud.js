// Drafts for the master-data dialogs (components/crud.py): what is typed is kept in IndexedDB per
// record, restored when the same record is opened again, and dropped once it is saved.
(function () {
  "use strict";
  const ready = {};
  const SKIP = ["password"];

  function entityOf(list) {
    const first = (list || [])[0];
    return first && first.id ? first.id.crud : null;
  }

  function key(entity, id) {
    return window.tmOffline.draftKey(`crud-${entity}-${id === null || id === undefined ? "new" : id}`);
  }

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.tm_crud = {
    save_draft: function (values, loaded, isOpen) {
      const ctx = window.dash_clientside.callback_context;
      const entity = entityOf(ctx.inputs_list[0]);
      if (!isOpen || !loaded || !entity || ready[entity] !== JSON.stringify(loaded)) {
        return window.dash_clientside.no_update;
      }
      const draft = {};
      ctx.inputs_list[0].forEach((item, i) => {
        if (SKIP.indexOf(item.id.field) < 0) draft[item.id.field] = values[i];
      });
      window.tmOffline.idb.put("drafts", {values: draft, saved: new Date().toISOString()}, key(entity, loaded.id));
      return "Draft kept on this device";
    },

    restore_draft: async function (loaded) {
      const ctx = window.dash_clientside.callback_context;
      const outputs = ctx.outputs_list[0];
      const entity = entityOf(outputs);
      const none = [outputs.map(() => window.dash_clientside.no_update), null];
      if (!loaded || !entity) return none;
      let saved = null;
      try {
        saved = await window.tmOffline.idb.get("drafts", key(entity, loaded.id));
      } catch (e) {
        saved = null;
      }
      ready[entity] = JSON.stringify(loaded);
      if (!saved || !saved.values) return none;
      const values = outputs.map((o) => (o.id.field in saved.values ? saved.values[o.id.field] : window.dash_clientside.no_update));
      const when = new Date(saved.saved).toLocaleString();
      return [values, {namespace: "dash_html_components", type: "Div",
        props: {className: "alert alert-info py-2", children: `Restored what you typed earlier (${when}) and did not save.`}}];
    },

    clear_draft: function (saved) {
      const ctx = window.dash_clientside.callback_context;
      const entity = ctx.inputs_list[0].id.crud;
      if (saved) {
        window.tmOffline.idb.del("drafts", key(entity, saved.id));
      }
      return null;
    },
  };
})();
