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

	function init() {
		var forms = document.querySelectorAll("form.vote-form");
		for (var i = 0; i < forms.length; i++) {
			enhanceVoteForm(forms[i]);
		}
		initWizard();
	}

	if (document.readyState === "loading") {
		document.addEventListener("DOMContentLoaded", init);
	} else {
		init();
	}
}());
