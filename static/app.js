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

	function init() {
		var forms = document.querySelectorAll("form.vote-form");
		for (var i = 0; i < forms.length; i++) {
			enhanceVoteForm(forms[i]);
		}
	}

	if (document.readyState === "loading") {
		document.addEventListener("DOMContentLoaded", init);
	} else {
		init();
	}
}());
