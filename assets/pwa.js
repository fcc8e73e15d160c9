// On every page: the service worker (assets/sw.js) registered for the whole site, and the
// step the settings page's "Turn on push on this device" button runs.

if ("serviceWorker" in navigator) {
  navigator.serviceWorker
    .register("/sw.js", { scope: "/" })
    .catch((error) => console.warn("TaskFlow: no service worker:", error));
}

function applicationServerKey(base64url) {
  const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
  const raw = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(raw, (char) => char.charCodeAt(0));
}

window.taskflowPush = {
  // This browser's push subscription for the server's key `publicKey`: {subscription} as
  // PushSubscription.toJSON() gives it, or {error} saying why there is none.
  async subscribe(publicKey) {
    if (!("serviceWorker" in navigator) || !("PushManager" in window)) {
      return { error: "This browser cannot receive push notifications." };
    }
    const permission = await Notification.requestPermission();
    if (permission !== "granted") {
      return {
        error:
          "Notifications are blocked for this site: allow them in the browser's site " +
          "settings, then try again.",
      };
    }
    try {
      await navigator.serviceWorker.register("/sw.js", { scope: "/" });
      const registration = await navigator.serviceWorker.ready;
      const subscription = await registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: applicationServerKey(publicKey),
      });
      return { subscription: subscription.toJSON() };
    } catch (error) {
      return {
        error: `This browser has no push service to subscribe with (${error.name}: ${error.message}).`,
      };
    }
  },
};
