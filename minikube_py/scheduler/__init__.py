"""The scheduler (kube-scheduler's role): assigns pending pods to nodes.

``scheduler.py`` is the Component (informers, the scheduling loop, binders); ``queue.py``
the scheduling queue; ``cache.py`` nodes and placed pods; ``framework.py`` the extension
points and their runner; ``plugins/`` the filter and score plugins; ``preemption.py``
DefaultPreemption; ``extender.py`` HTTP extenders; ``config.py`` KubeSchedulerConfiguration.
"""
