/**
 * DOM for one message in the open chat. Text always goes in through `textContent`, so
 * whatever a message contains (markup included) is shown as typed, never parsed.
 */

const timeOfDay = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const dateAndTime = new Intl.DateTimeFormat(undefined, {
  month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit',
});
const fullDate = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'medium' });

/**
 * Builds the list item for `message`.
 * @param {object} message from the chat store
 * @param {(message: object) => void} onRetry called when the person retries a failed send
 */
export function renderMessage(message, onRetry) {
  const item = document.createElement('li');
  item.className = `message ${message.direction}`;
  item.dataset.key = message.key;

  const speaker = document.createElement('span');
  speaker.className = 'visually-hidden';
  speaker.textContent = message.direction === 'out' ? 'You said: ' : `${message.peer} said: `;

  const bubble = document.createElement('div');
  bubble.className = 'bubble';
  bubble.dataset.testid = 'message';
  bubble.dataset.direction = message.direction;
  bubble.dataset.own = String(message.direction === 'out');
  bubble.dataset.sender = message.from;
  bubble.textContent = message.text;

  const meta = document.createElement('div');
  meta.className = 'meta';
  const time = document.createElement('time');
  const when = new Date(message.time);
  time.dateTime = when.toISOString();
  time.title = fullDate.format(when);
  time.textContent = isToday(when) ? timeOfDay.format(when) : dateAndTime.format(when);
  meta.append(time);

  item.append(speaker, bubble, meta);
  if (message.direction === 'out') {
    const delivery = document.createElement('span');
    delivery.className = 'delivery';
    const retry = document.createElement('button');
    retry.type = 'button';
    retry.className = 'link-button retry';
    retry.textContent = 'Retry';
    retry.addEventListener('click', () => onRetry(message));
    meta.append(delivery, retry);
    updateDelivery(item, message);
  }
  return item;
}

/** Refreshes the sending → delivered / queued / failed line of an own message. */
export function updateDelivery(item, message) {
  const delivery = item.querySelector('.delivery');
  const retry = item.querySelector('.retry');
  if (!delivery || !retry) {
    return;
  }
  item.dataset.status = message.status;
  delivery.dataset.status = message.status;
  delivery.textContent = deliveryLabel(message);
  retry.hidden = message.status !== 'failed';
}

function deliveryLabel(message) {
  switch (message.status) {
    case 'waiting': return 'Waiting for connection';
    case 'sending': return 'Sending…';
    case 'delivered': return 'Delivered';
    case 'queued': return `Queued until ${message.peer} is online`;
    case 'failed': return `Not sent: ${message.error}`;
    default: return '';
  }
}

function isToday(date) {
  const now = new Date();
  return date.getFullYear() === now.getFullYear() && date.getMonth() === now.getMonth() &&
    date.getDate() === now.getDate();
}
