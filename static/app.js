/* koffix: progressive enhancement only. Every page works without this file. */
(function () {
	"use strict";

	var THANKS = "Thank you for your feedback. It helps us improve this article.";

	function encode(pairs) {
		var out = [];
		for (var i = 0; i < pairs.length; i++) {
			out.push(encodeURIComponent(pairs[i][0]) + "=" +
				encodeURIComponent(pairs[i][1]).replace(/%20/g, "+"));
		}
		return out.join("&");
	}

	function setCount(section, cls, value) {
		var el = section ? section.querySelector("." + cls) : null;
		if (el && typeof value === "number" && isFinite(value)) {
			el.textContent = String(value);
		}
	}

	/* The vote form: POST with fetch and show the thanks in place; any failure submits normally. */
	function enhanceVoteForm(form) {
		if (!window.fetch || !form.querySelector) {
			return;
		}
		var section = form.closest ? form.closest(".feedback") : null;
		var status = section ? section.querySelector("[role='status']") : null;
		var lastClicked = null;
		var busy = false;

		form.addEventListener("click", function (ev) {
			var t = ev.target;
			if (t && t.tagName === "BUTTON" && t.name === "helpful") {
				lastClicked = t;
			}
		});

		/* Normal submission carrying the chosen answer (form.submit() sends no submit button). */
		function fallback(value) {
			var hidden = document.createElement("input");
			hidden.type = "hidden";
			hidden.name = "helpful";
			hidden.value = value;
			form.appendChild(hidden);
			HTMLFormElement.prototype.submit.call(form);
		}

		form.addEventListener("submit", function (ev) {
			var submitter = ev.submitter || lastClicked;
			if (!submitter || submitter.name !== "helpful" || !status) {
				return; /* let the browser submit the form itself */
			}
			ev.preventDefault();
			if (busy) {
				return;
			}
			busy = true;

			var value = submitter.value;
			var tokenField = form.querySelector("input[name='csrf_token']");
			var token = tokenField ? tokenField.value : "";
			var commentField = form.querySelector("textarea[name='comment']");
			var pairs = [["helpful", value]];
			if (commentField && commentField.value !== "") {
				pairs.push(["comment", commentField.value]);
			}
			var buttons = form.querySelectorAll("button");
			for (var i = 0; i < buttons.length; i++) {
				buttons[i].disabled = true;
			}

			var action = form.getAttribute("action") || window.location.pathname;
			fetch(action, {
				method: "POST",
				credentials: "same-origin",
				headers: {
					"Content-Type": "application/x-www-form-urlencoded",
					"Accept": "application/json",
					"X-CSRF-Token": token
				},
				body: encode(pairs)
			}).then(function (res) {
				var type = res.headers.get("Content-Type") || "";
				if (!res.ok || type.indexOf("application/json") === -1) {
					throw new Error("vote: HTTP " + res.status);
				}
				return res.json();
			}).then(function (data) {
				if (!data || data.ok !== true) {
					throw new Error("vote: refused");
				}
				setCount(section, "vote-yes", data.yes);
				setCount(section, "vote-no", data.no);
				var p = document.createElement("p");
				p.className = "notice notice-ok";
				p.textContent = THANKS;
				status.textContent = "";
				status.appendChild(p);
				var stale = section.querySelector(".notice-error");
				if (stale && stale.parentNode) {
					stale.parentNode.removeChild(stale);
				}
				if (form.parentNode) {
					form.parentNode.removeChild(form);
				}
				if (typeof status.focus === "function") {
					status.focus();
				}
			}).catch(function () {
				/* Votes are one per person (a later one replaces the earlier), so resending is safe. */
				fallback(value);
			});
		});
	}

	/*
	 * The wizard: forms inside [data-wizard] that post to /wizard... are sent with fetch and the
	 * answer page's <main> replaces this one; history follows the redirects. Any failure falls
	 * back to an ordinary submission (or a reload for back/forward).
	 */
	var wizardSeq = 0;

	function wizardSupported() {
		return !!(window.fetch && window.DOMParser && window.FormData && window.URLSearchParams &&
			window.history && history.pushState && document.querySelector);
	}

	function isWizardForm(form) {
		var action = form && form.getAttribute ? form.getAttribute("action") || "" : "";
		return action.indexOf("/wizard") === 0 && !!form.closest &&
			!!form.closest("[data-wizard]");
	}

	function setBusy(on) {
		var box = document.querySelector("[data-wizard]");
		if (box) {
			if (on) {
				box.setAttribute("aria-busy", "true");
			} else {
				box.removeAttribute("aria-busy");
			}
		}
	}

	/* Resolves to the parsed document, or rejects when the answer is not a page with a <main>. */
	function fetchPage(url, init) {
		init.credentials = "same-origin";
		init.redirect = "follow";
		init.headers = init.headers || {};
		init.headers.Accept = "text/html";
		return fetch(url, init).then(function (res) {
			var type = res.headers.get("Content-Type") || "";
			if (type.indexOf("text/html") === -1) {
				throw new Error("wizard: not HTML");
			}
			return res.text().then(function (text) {
				var doc = new DOMParser().parseFromString(text, "text/html");
				if (!doc.querySelector("main")) {
					throw new Error("wizard: no main");
				}
				return { res: res, doc: doc };
			});
		});
	}

	function swapMain(doc) {
		var main = document.querySelector("main");
		var fresh = doc.querySelector("main");
		if (!main || !fresh) {
			return false;
		}
		while (main.firstChild) {
			main.removeChild(main.firstChild);
		}
		while (fresh.firstChild) {
			main.appendChild(document.adoptNode(fresh.firstChild));
		}
		if (doc.title) {
			document.title = doc.title;
		}
		var heading = document.getElementById("wizard-heading") || main.querySelector("h1");
		if (heading) {
			if (!heading.hasAttribute("tabindex")) {
				heading.setAttribute("tabindex", "-1");
			}
			heading.focus();
		}
		return true;
	}

	function onWizardSubmit(ev) {
		var form = ev.target;
		if (ev.defaultPrevented || !isWizardForm(form)) {
			return;
		}
		ev.preventDefault();
		if (form.getAttribute("data-busy")) {
			return;
		}
		form.setAttribute("data-busy", "1");
		setBusy(true);
		var seq = ++wizardSeq;
		var tokenField = form.querySelector("input[name='csrf_token']");
		var body = new URLSearchParams(new FormData(form));

		fetchPage(form.getAttribute("action"), {
			method: "POST",
			headers: { "X-CSRF-Token": tokenField ? tokenField.value : "" },
			body: body
		}).then(function (page) {
			if (seq !== wizardSeq) {
				return;
			}
			/* Only a redirect names a page to come back to; a re-rendered form (an error)
			 * keeps the current address. */
			var url = page.res.url;
			if (page.res.redirected && url && url !== window.location.href) {
				history.pushState({ koffixWizard: true }, "", url);
			}
			swapMain(page.doc);
		}).catch(function () {
			setBusy(false);
			form.removeAttribute("data-busy");
			HTMLFormElement.prototype.submit.call(form);
		});
	}

	function onWizardPopState(ev) {
		if (!ev.state || !ev.state.koffixWizard) {
			return; /* not ours (e.g. a #fragment) */
		}
		var seq = ++wizardSeq;
		setBusy(true);
		fetchPage(window.location.href, { method: "GET" }).then(function (page) {
			if (seq === wizardSeq && !swapMain(page.doc)) {
				window.location.reload();
			}
		}).catch(function () {
			if (seq === wizardSeq) {
				window.location.reload();
			}
		});
	}

	function initWizard() {
		if (!document.querySelector("[data-wizard]") || !wizardSupported()) {
			return;
		}
		history.replaceState({ koffixWizard: true }, "", window.location.href);
		document.addEventListener("submit", onWizardSubmit);
		window.addEventListener("popstate", onWizardPopState);
	}

	/*
	 * The repair review form (action.html). "Update the plan" is a GET back to the review page;
	 * without this it carries the CSRF token and the confirmation into the address, which the
	 * server ignores but history keeps. The Run button is not sent twice.
	 */
	function enhanceActionForm(form) {
		var lastClicked = null;

		form.addEventListener("click", function (ev) {
			var t = ev.target && ev.target.closest ? ev.target.closest("button") : null;
			if (t && t.form === form) {
				lastClicked = t;
			}
		});

		form.addEventListener("submit", function (ev) {
			var submitter = ev.submitter || lastClicked;
			lastClicked = null;
			if (submitter && submitter.hasAttribute("data-review-button")) {
				var drop = form.querySelectorAll("input[name='csrf_token'], input[name='confirm']");
				for (var i = 0; i < drop.length; i++) {
					drop[i].disabled = true;
				}
				return;
			}
			if ((form.getAttribute("method") || "").toLowerCase() !== "post") {
				return;
			}
			if (form.getAttribute("data-busy")) {
				ev.preventDefault();
				return;
			}
			form.setAttribute("data-busy", "1");
		});

		/* Coming back with the Back button: the page may be restored as it was left. */
		window.addEventListener("pageshow", function () {
			form.removeAttribute("data-busy");
			var off = form.querySelectorAll("input[disabled]");
			for (var i = 0; i < off.length; i++) {
				off[i].disabled = false;
			}
		});
	}

	/*
	 * A repair run (run.html) while it is queued or running: follow its Server-Sent Events, update
	 * the step rows in place and announce each change; at the end reload once for the result.
	 * Without EventSource the page reloads every 2 s, like the <noscript> refresh does.
	 */
	var RUN_FOCUS_KEY = "koffix-run-finished";

	function stateClass(state) {
		return String(state).toLowerCase().replace(/[^a-z0-9-]/g, "");
	}

	function swapClass(el, prefix, state) {
		var kept = [];
		var parts = (el.getAttribute("class") || "").split(/\s+/);
		for (var i = 0; i < parts.length; i++) {
			if (parts[i] && parts[i].indexOf(prefix) !== 0) {
				kept.push(parts[i]);
			}
		}
		kept.push(prefix + stateClass(state));
		el.setAttribute("class", kept.join(" "));
	}

	function setStepField(row, name, value) {
		if (typeof value !== "string") {
			return;
		}
		var wrap = row.querySelector("[data-step-wrap='" + name + "']");
		var field = row.querySelector("[data-step-field='" + name + "']");
		if (field) {
			field.textContent = value;
		}
		if (wrap) {
			wrap.hidden = value === "";
		}
	}

	function initRun() {
		var box = document.querySelector("[data-run]");
		if (!box) {
			return;
		}
		var run = box.getAttribute("data-run") || "";
		var storage = null;
		try {
			storage = window.sessionStorage;
		} catch (e) {
			storage = null; /* storage disabled */
		}

		if (!box.hasAttribute("data-run-active")) {
			/* Just reloaded at the end of a run: bring its result into view and to the reader. */
			if (storage && storage.getItem(RUN_FOCUS_KEY) === run) {
				storage.removeItem(RUN_FOCUS_KEY);
				var banner = document.getElementById("run-banner");
				if (banner && typeof banner.focus === "function") {
					banner.focus();
				}
			}
			return;
		}

		var live = box.querySelector("[data-run-live]");
		var rows = box.querySelectorAll("[data-step]");
		var total = rows.length;
		var reloading = false;

		function reloadOnce(delay) {
			if (reloading) {
				return;
			}
			reloading = true;
			window.setTimeout(function () {
				window.location.reload();
			}, delay);
		}

		function announce(text) {
			if (live) {
				live.textContent = text;
			}
		}

		function findRow(n) {
			for (var i = 0; i < rows.length; i++) {
				if (rows[i].getAttribute("data-step") === String(n)) {
					return rows[i];
				}
			}
			return null;
		}

		if (!window.EventSource || !window.JSON) {
			reloadOnce(2000);
			return;
		}

		var es = new EventSource("/api/runs/" + encodeURIComponent(run) + "/events");

		es.addEventListener("step", function (ev) {
			var d;
			try {
				d = JSON.parse(ev.data);
			} catch (e) {
				return;
			}
			if (!d || typeof d.n !== "number") {
				return;
			}
			var row = findRow(d.n);
			if (!row) {
				return;
			}
			var state = typeof d.state === "string" ? d.state : "";
			var badge = row.querySelector("[data-step-state]");
			var before = badge ? badge.textContent : "";
			if (state !== "") {
				swapClass(row, "step-state-", state);
				if (badge) {
					swapClass(badge, "badge-state-", state);
					badge.textContent = state;
				}
			}
			setStepField(row, "output", d.output);
			setStepField(row, "verification", d.verification);
			/* The first events repeat what the page already shows: only changes are news. */
			if (state !== "" && state !== before) {
				announce("Step " + d.n + " of " + total + ": " + state);
			}
		});

		es.addEventListener("end", function (ev) {
			es.close();
			var state = "";
			try {
				state = JSON.parse(ev.data).state || "";
			} catch (e) {
				state = "";
			}
			announce(state ? "The repair has finished: " + state + "." :
				"The repair has finished.");
			if (storage) {
				try {
					storage.setItem(RUN_FOCUS_KEY, run);
				} catch (e) {
					/* quota or private mode: the result just is not focused */
				}
			}
			reloadOnce(300);
		});

		es.addEventListener("error", function () {
			/* A refused stream (not a dropped one, which EventSource retries by itself):
			 * fall back to reloading, like the page does without JavaScript. */
			if (es.readyState === 2) {
				reloadOnce(2000);
			}
		});
	}

	function init() {
		var forms = document.querySelectorAll("form.vote-form");
		for (var i = 0; i < forms.length; i++) {
			enhanceVoteForm(forms[i]);
		}
		initWizard();
		var actionForms = document.querySelectorAll("form[data-action-form]");
		for (var j = 0; j < actionForms.length; j++) {
			enhanceActionForm(actionForms[j]);
		}
		initRun();
	}

	if (document.readyState === "loading") {
		document.addEventListener("DOMContentLoaded", init);
	} else {
		init();
	}
}());
